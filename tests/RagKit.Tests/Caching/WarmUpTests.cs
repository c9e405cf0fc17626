using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>The build-time warm-up of the hit paths (first-hit latency is measured by `benchmarks/RagKit.Benchmarks -- firsthit`).</summary>
public sealed class WarmUpTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    [Fact]
    public async Task Warm_up_leaves_nothing_in_the_real_tiers_and_the_first_paraphrase_is_a_semantic_hit()
    {
        using var rag = (RagPipeline)new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();

        Assert.Equal(0, rag.LocalSemanticTier.Count);
        Assert.Empty(rag.ExactTier.Snapshot());

        var scope = new RagScope("acme");
        await rag.IngestAsync(scope, Corpus.Documents);
        await rag.AskAsync("How long do I have to return an item for a refund?", new AskOptions(scope));
        RagAnswer paraphrase = await rag.AskAsync("How long do I have to return an item to get a refund?", new AskOptions(scope));

        Assert.Equal(AnswerTier.Semantic, paraphrase.Tier);
        Assert.Equal(1, rag.LocalSemanticTier.Count);
    }

    [Fact]
    public async Task A_match_rule_that_throws_does_not_fail_the_build()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Configure(o => o.SemanticMatchRule = new ThrowingRule()).Build();
        var scope = new RagScope("acme");
        await rag.IngestAsync(scope, Corpus.Documents);
        Assert.Equal(AnswerTier.Generated, (await rag.AskAsync("How long do I have to return an item for a refund?", new AskOptions(scope))).Tier);
    }

    private sealed class ThrowingRule : ISemanticMatchRule
    {
        public string Name => "throwing";

        public bool Accept(in SemanticMatchCandidate candidate) => throw new InvalidOperationException("rule failed");
    }
}
