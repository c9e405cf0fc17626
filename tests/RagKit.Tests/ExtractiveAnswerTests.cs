using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit.Tests;

public sealed class ExtractiveAnswerTests
{
    private static ChunkMatch Chunk(string id, string text, float score) => new(new DocumentKey("t", "c", id), id + "#0", text, score, 1);

    [Fact]
    public void TheSentenceWhoseSubjectTheQuestionAsksAboutComesFirstAndUnrelatedSourcesAreDropped()
    {
        var sources = new[]
        {
            Chunk("bench", "`RagKit (before)` is a frozen copy of the old tier, kept for benchmarks.", 0.56f),
            Chunk("intro", "RagKit is a .NET library for retrieval-augmented generation with tiered answer caching.", 0.55f),
            Chunk("misc", "Compaction writes to a temporary file and renames it.", 0.40f),
        };

        (string text, List<Citation> citations) = ExtractiveAnswerer.Answer("What is RagKit?", sources);

        Assert.StartsWith("RagKit is a .NET library", text, StringComparison.Ordinal);
        Assert.Contains("[2]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Compaction", text, StringComparison.Ordinal); // shares no word with the question
        Assert.Equal(["bench", "intro"], citations.Select(c => c.DocumentId));
    }
}
