using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit.Tests.Generation;

public sealed class ExtractiveSourcesTests
{
    private static ChunkMatch Chunk(string id, string text, float score) => new(new DocumentKey("t", "c", id), id + "#0", text, score, 1);

    [Fact]
    public void A_chunk_below_the_minimum_score_that_holds_the_questions_words_is_rescued()
    {
        var nearest = new[]
        {
            Chunk("intro", "§ Upgrading › Before you start\nPlan for one minute of downtime per 10 GB of data.", 0.31f),
            Chunk("steps", "§ Upgrading › Steps\n- Stop the service:\n\n```\nsudo systemctl stop ledger\n```", 0.18f),
            Chunk("api", "§ Upgrading › API changes\nThe HTTP API now listens on port 8443.", 0.12f),
        };

        IReadOnlyList<ChunkMatch> sources = ExtractiveSources.Select("How do I stop the service?", nearest, topK: 4, minScore: 0.2f);

        Assert.Equal(["intro", "steps"], sources.Select(s => s.Document.DocumentId));
    }

    [Fact]
    public void Nothing_is_rescued_when_top_k_chunks_pass_the_minimum_score_or_when_few_question_words_are_there()
    {
        var nearest = new[]
        {
            Chunk("a", "Plan for one minute of downtime.", 0.31f),
            Chunk("b", "Stop the service before you upgrade.", 0.18f),
        };

        Assert.Equal(["a"], ExtractiveSources.Select("How do I stop the service?", nearest, topK: 1, minScore: 0.2f).Select(s => s.Document.DocumentId));
        Assert.Equal(["a"], ExtractiveSources.Select("How do I stop the web service on Windows?", nearest, topK: 4, minScore: 0.2f).Select(s => s.Document.DocumentId));
    }
}
