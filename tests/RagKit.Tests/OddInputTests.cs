using Microsoft.Extensions.AI;
using RagKit.Caching;

namespace RagKit.Tests;

/// <summary>Odd input gets a clear answer: NFKC expansion, lone surrogates, broken embedder output, empty documents.</summary>
public sealed class OddInputTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private const string LoneHigh = "\uD800";
    private const string LoneLow = "\uDC00";
    private static readonly RagScope Acme = new("acme");

    // U+FDFA expands to 18 characters under NFKC, far beyond four times the input.
    private static readonly string ExpandingQuestion = "How long do I have to return an item for a refund " + string.Concat(Enumerable.Repeat("\uFDFA", 40)) + "?";

    [Fact]
    public async Task Question_that_grows_eighteen_fold_under_NFKC_is_answered()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        await rag.IngestAsync(Acme, Corpus.Documents);

        RagAnswer first = await rag.AskAsync(ExpandingQuestion, new AskOptions(Acme));
        RagAnswer again = await rag.AskAsync(ExpandingQuestion, new AskOptions(Acme));

        Assert.Equal(AnswerTier.Generated, first.Report.Tier);
        Assert.Contains("30 days", first.Text, StringComparison.Ordinal);
        Assert.Equal(AnswerTier.Exact, again.Report.Tier);
    }

    [Fact]
    public void Normalizer_handles_worst_case_expansion_and_names_a_too_small_destination()
    {
        string normalized = QuestionNormalizer.Normalize(ExpandingQuestion);
        Assert.True(normalized.Length > ExpandingQuestion.Length * 4);

        char[] exact = new char[QuestionNormalizer.MaxNormalizedLength(ExpandingQuestion.Length)];
        int n = QuestionNormalizer.Normalize(ExpandingQuestion, exact);
        Assert.Equal(normalized, new string(exact, 0, n));

        ArgumentException ex = Assert.Throws<ArgumentException>(() => QuestionNormalizer.Normalize(ExpandingQuestion, new char[ExpandingQuestion.Length * 4]));
        Assert.Equal("destination", ex.ParamName);
    }

    // Built at run time: attribute arguments are stored as UTF-8, which would turn a lone surrogate into U+FFFD.
    public static TheoryData<int> LoneSurrogateQuestions => [0, 1, 2];

    [Theory]
    [MemberData(nameof(LoneSurrogateQuestions))]
    public async Task Question_with_a_lone_surrogate_is_rejected_naming_the_question(int which)
    {
        string question = which switch
        {
            0 => "Where is " + LoneHigh + " my order?",
            1 => "Where is my order" + LoneLow,
            _ => LoneHigh,
        };

        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await rag.AskAsync(question, new AskOptions(Acme)));
        ArgumentException streaming = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (AnswerUpdate _ in rag.AskStreamingAsync(question, new AskOptions(Acme)))
            {
            }
        });

        Assert.Equal("question", ex.ParamName);
        Assert.Equal("question", streaming.ParamName);
        Assert.Equal("question", Assert.Throws<ArgumentException>(() => QuestionNormalizer.Normalize(question)).ParamName);
    }

    [Fact]
    public void Paired_surrogates_are_accepted()
    {
        var scope = new RagScope("tenant-\U0001F600");
        var doc = new RagDocument("doc-\U0001F600", "Emoji \U0001F600 are fine.") { Title = "\U0001F600" };
        Assert.Equal("tenant-\U0001F600", scope.Tenant);
        Assert.Equal("doc-\U0001F600", doc.Id);
    }

    [Fact]
    public void Lone_surrogates_in_names_are_rejected_naming_the_parameter()
    {
        Assert.Equal("tenant", Assert.Throws<ArgumentException>(() => new RagScope("acme" + LoneHigh)).ParamName);
        Assert.Equal("collection", Assert.Throws<ArgumentException>(() => new RagScope("acme", LoneLow + "docs")).ParamName);
        Assert.Equal("accessGroups", Assert.Throws<ArgumentException>(() => new RagScope("acme", "docs", ["staff" + LoneHigh])).ParamName);
        Assert.Equal("id", Assert.Throws<ArgumentException>(() => new RagDocument("doc" + LoneHigh, "Text.")).ParamName);
        Assert.Equal("text", Assert.Throws<ArgumentException>(() => new RagDocument("doc", "Te" + LoneLow + "xt.")).ParamName);
        Assert.Equal("Title", Assert.Throws<ArgumentException>(() => new RagDocument("doc", "Text.") { Title = LoneHigh }).ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t")]
    public void Empty_documents_are_rejected_pointing_to_delete(string text)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new RagDocument("empty", text));
        Assert.Equal("text", ex.ParamName);
        Assert.Contains("DeleteDocumentsAsync", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BadVector.None)]
    [InlineData(BadVector.Empty)]
    [InlineData(BadVector.NaN)]
    [InlineData(BadVector.Infinite)]
    [InlineData(BadVector.Zero)]
    public async Task BrokenEmbeddingsAreNeverStoredAndTheErrorNamesEmbedderAndDocument(BadVector kind)
    {
        using var embedder = new PoisonableEmbedder(model.Embedder, kind);
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).Build();
        await rag.IngestAsync(Acme, Corpus.Documents);

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            rag.IngestAsync(Acme, [new RagDocument("poisoned", "POISON sentence about shipping rockets to the moon.")]));
        embedder.Poisoned = false;
        RagAnswer answer = await rag.AskAsync("shipping rockets to the moon", new AskOptions(Acme) { UseCache = false });

        Assert.Contains(nameof(PoisonableEmbedder), ex.Message, StringComparison.Ordinal);
        Assert.Contains("'poisoned'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(answer.Citations, c => c.DocumentId == "poisoned");
    }

    [Theory]
    [InlineData(BadVector.None)]
    [InlineData(BadVector.NaN)]
    [InlineData(BadVector.Zero)]
    public async Task Broken_query_embedding_names_the_embedder_and_question(BadVector kind)
    {
        using var embedder = new PoisonableEmbedder(model.Embedder, kind);
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).Build();
        await rag.IngestAsync(Acme, Corpus.Documents);

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await rag.AskAsync("POISON question", new AskOptions(Acme)));

        Assert.Contains(nameof(PoisonableEmbedder), ex.Message, StringComparison.Ordinal);
        Assert.Contains("poison question", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    public enum BadVector
    {
        None,
        Empty,
        NaN,
        Infinite,
        Zero,
    }

    /// <summary>Embeds with MiniLM, except texts containing "POISON", for which it returns the chosen kind of bad output.</summary>
    private sealed class PoisonableEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner, BadVector kind) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public bool Poisoned { get; set; } = true;

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            string[] texts = values.ToArray();
            GeneratedEmbeddings<Embedding<float>> real = await inner.GenerateAsync(texts, options, cancellationToken);
            if (!Poisoned || !texts.Any(t => t.Contains("POISON", StringComparison.OrdinalIgnoreCase)))
            {
                return real;
            }

            var result = new GeneratedEmbeddings<Embedding<float>>();
            for (int i = 0; i < texts.Length; i++)
            {
                if (!texts[i].Contains("POISON", StringComparison.OrdinalIgnoreCase))
                {
                    result.Add(real[i]);
                    continue;
                }

                float[] v = real[i].Vector.ToArray();
                switch (kind)
                {
                    case BadVector.None:
                        continue;
                    case BadVector.Empty:
                        v = [];
                        break;
                    case BadVector.NaN:
                        v[3] = float.NaN;
                        break;
                    case BadVector.Infinite:
                        v[5] = float.PositiveInfinity;
                        break;
                    case BadVector.Zero:
                        Array.Clear(v);
                        break;
                }

                result.Add(new Embedding<float>(v));
            }

            return result;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose()
        {
        }
    }
}
