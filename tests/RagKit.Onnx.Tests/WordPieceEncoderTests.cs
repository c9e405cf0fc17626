using System.Text;

namespace RagKit.Onnx.Tests;

public sealed class WordPieceEncoderTests(GeneratorFixture fixture) : IClassFixture<GeneratorFixture>
{
    // Pieces a text is built from: every ASCII character (controls, symbols and punctuation included), accents, other
    // scripts, CJK, combining marks, surrogate pairs and a lone surrogate, no-break and ideographic spaces, the
    // replacement character, and the special tokens' names in several casings.
    private static readonly string[] Pieces =
    [
        .. Enumerable.Range(0, 128).Select(c => ((char)c).ToString()),
        "the", "Retrieval", "AUGMENTED", "tokenization", "unbelievably", "x86_64", "snake_case_name", "can't", "e-mail",
        "$5.00", "a+b=c", "<tag>", "x^2", "`code`", "|pipe|", "~tilde", "3.14159", "2026-12-06", "C#", "F#", "node.js",
        "café", "naïve", "Straße", "İstanbul", "ΑΒΓ αβγ", "Ωmega", "résumé", "e\u0301", "\u00A0", "\u3000", "\u2003",
        "\uFFFD", "\u200B", "\u200D", "漢字", "日本語のテキスト", "한국어", "😀", "👍🏽", "\uD800", "–", "—", "“quoted”", "±", "µm",
        "\u1100\u1161", "\u0915\u093E", "ǅ", "ΣΑΣ ς", "ﬁ", "①", "Ⅻ", "½", "\u00AD", "\u2028", "\u0085", "A\u030A", "\u212B",
        "[CLS]", "[cls]", "[C\tLS]", "[Sep]", "[PAD]", "[MASK]", "[UNK]", "[unknown]", "[1]",
        new string('a', 99), new string('b', 100), new string('c', 101), "pneumonoultramicroscopicsilicovolcanoconiosis",
    ];

    private const int FuzzTexts = 4000;

    private MiniLmEmbeddingGenerator Generator => fixture.Generator;

    [Fact]
    public void Random_texts_get_the_reference_tokenizers_ids()
    {
        var random = new Random(20261206);
        var text = new StringBuilder();
        for (int n = 0; n < FuzzTexts; n++)
        {
            text.Clear();
            int count = random.Next(1, 40);
            for (int i = 0; i < count; i++)
            {
                text.Append(Pieces[random.Next(Pieces.Length)]);
                if (random.Next(3) > 0)
                {
                    text.Append(random.Next(10) == 0 ? '\n' : ' ');
                }
            }

            AssertSameIds(text.ToString());
        }
    }

    [Fact]
    public void The_repositorys_documents_get_the_reference_tokenizers_ids()
    {
        string root = FindRepositoryRoot();
        int checkedTexts = 0;
        foreach (string path in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories))
        {
            foreach (string paragraph in File.ReadAllText(path).Split("\n\n"))
            {
                AssertSameIds(paragraph);
                checkedTexts++;
            }
        }

        Assert.True(checkedTexts > 100, $"only {checkedTexts} paragraphs were checked");
    }

    [Fact]
    public void A_long_text_keeps_its_first_tokens_ends_with_the_separator_and_reports_its_full_length()
    {
        using MiniLmEmbeddingGenerator short8 = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0, MaxTokens = 8 });
        const string Text = "one two three four five six seven eight nine ten eleven";

        int[] ids = short8.RequestIds(Text, out int tokenCount);
        IReadOnlyList<int> reference = short8.ReferenceIds(Text);

        Assert.Equal(reference.Count, tokenCount);
        Assert.Equal(8, ids.Length);
        Assert.Equal(reference.Take(7), ids.Take(7));
        Assert.Equal(reference[^1], ids[^1]);
    }

    [Fact]
    public void An_empty_text_is_the_two_special_tokens()
    {
        int[] ids = Generator.RequestIds(string.Empty, out int tokenCount);

        Assert.Equal(Generator.ReferenceIds(string.Empty), ids);
        Assert.Equal(2, tokenCount);
    }

    [Fact]
    public void An_unpaired_surrogate_is_dropped_instead_of_failing_the_request()
    {
        // Built in code: theory data would pass through serialization, which replaces an unpaired surrogate.
        (string Text, string WithoutIt)[] cases =
        [
            ("broken " + '\uD800' + " surrogate", "broken  surrogate"),
            ('\uDC00' + " low first", " low first"),
            ("pair \uD83D\uDE00 and lone " + '\uD83D', "pair \uD83D\uDE00 and lone "),
        ];

        foreach ((string text, string withoutIt) in cases)
        {
            int[] ids = Generator.RequestIds(text, out _);

            Assert.Equal(Generator.ReferenceIds(withoutIt), ids);
        }
    }

    private void AssertSameIds(string text)
    {
        // The reference throws on an unpaired surrogate; the encoder drops it (tested below).
        IReadOnlyList<int> expected = Generator.ReferenceIds(WithoutLoneSurrogates(text));
        if (expected.Count > new OnnxEmbeddingOptions().MaxTokens)
        {
            return;
        }

        int[] actual = Generator.RequestIds(text, out int tokenCount);
        Assert.True(expected.SequenceEqual(actual), $"ids differ for \"{Escape(text)}\":\n  expected {string.Join(' ', expected)}\n  actual   {string.Join(' ', actual)}");
        Assert.Equal(expected.Count, tokenCount);
    }

    private static string WithoutLoneSurrogates(string text)
    {
        var kept = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                kept.Append(text, i++, 2);
            }
            else if (!char.IsSurrogate(text[i]))
            {
                kept.Append(text[i]);
            }
        }

        return kept.ToString();
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString()));

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RagKit.sln")) || Directory.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found.");
    }
}
