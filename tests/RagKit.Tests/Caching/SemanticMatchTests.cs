using RagKit.Caching;
using RagKit.Onnx;

namespace RagKit.Tests.Caching;

public sealed class SemanticMatchTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Scope = new("acme", "help");

    private static readonly RagDocument[] Documents =
    [
        new("security", "Two-factor authentication adds a code from your phone to every sign-in. Enable it under Settings, Security. You can disable it on the same page after confirming your password."),
        new("cash", "You can withdraw cash at any ATM. The daily withdrawal limit is 300 dollars; larger amounts need a visit to a branch. Withdrawals abroad cost a 2 % fee."),
        new("refunds", "Refunds are paid back to the original card within five working days of the return being accepted."),
        new("people", "Alice Martin founded the company in 1990 and is 61 years old. Bob Stone joined in 2015 and is 34 years old."),
    ];

    private async Task<IRagPipeline> BuildAsync(Action<RagKitOptions>? configure = null)
    {
        IRagPipeline pipeline = new RagPipelineBuilder()
            .UseEmbeddingGenerator(model.Embedder)
            .Configure(o => configure?.Invoke(o))
            .Build();
        await pipeline.IngestAsync(Scope, Documents);
        return pipeline;
    }

    private static Task<RagAnswer> AskAsync(IRagPipeline pipeline, string question, IReadOnlyList<string>? context = null) =>
        pipeline.AskAsync(question, new AskOptions(Scope) { ConversationContext = context }).AsTask();

    [Theory]
    [InlineData("How do I enable two-factor authentication?", "How do I disable two-factor authentication?")]
    [InlineData("Can I withdraw 100 dollars?", "Can I withdraw 500 dollars?")]
    [InlineData("Can I withdraw cash abroad?", "Can't I withdraw cash abroad?")]
    public async Task Near_identical_question_with_opposite_meaning_is_a_miss_that_the_static_rule_would_serve(string first, string second)
    {
        // The two questions are near-identical to the embedder; a threshold that admits them lets the static rule serve
        // the cached answer to the opposite question.
        var embeddings = await model.Embedder.GenerateAsync([QuestionNormalizer.Normalize(first), QuestionNormalizer.Normalize(second)]);
        float similarity = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(embeddings[0].Vector.Span, embeddings[1].Vector.Span);
        Assert.True(similarity >= 0.80f, $"similarity {similarity}");
        float threshold = Math.Min(0.90f, similarity - 0.01f);
        using (IRagPipeline naive = await BuildAsync(o =>
        {
            o.SemanticMatchRule = SemanticMatchRules.Static;
            o.SemanticThreshold = threshold;
        }))
        {
            Assert.Equal(AnswerTier.Generated, (await AskAsync(naive, first)).Tier);
            RagAnswer wrong = await AskAsync(naive, second);
            Assert.Equal(AnswerTier.Semantic, wrong.Tier);
        }

        // The default rule does not, at the same threshold.
        using IRagPipeline pipeline = await BuildAsync(o => o.SemanticThreshold = threshold);
        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, first)).Tier);
        RagAnswer answer = await AskAsync(pipeline, second);
        Assert.Equal(AnswerTier.Generated, answer.Tier);
    }

    [Theory]
    [InlineData("How do I enable two-factor authentication?", "How can I enable two-factor authentication?")]
    [InlineData("Can I withdraw 100 dollars?", "Is it possible to withdraw 100 dollars?")]
    public async Task True_paraphrase_is_still_a_semantic_hit(string first, string second)
    {
        using IRagPipeline pipeline = await BuildAsync();
        RagAnswer original = await AskAsync(pipeline, first);
        Assert.Equal(AnswerTier.Generated, original.Tier);

        RagAnswer hit = await AskAsync(pipeline, second);
        Assert.Equal(AnswerTier.Semantic, hit.Tier);
        Assert.Equal(original.Text, hit.Text);
        Assert.Equal(QuestionNormalizer.Normalize(first), hit.Report.MatchedQuestion);
    }

    [Fact]
    public async Task Reported_wrong_answer_is_removed_and_its_neighbourhood_becomes_stricter()
    {
        using IRagPipeline pipeline = await BuildAsync();
        const string Original = "How do I enable two-factor authentication?";
        const string Paraphrase = "How can I enable two-factor authentication?";
        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, Original)).Tier);
        Assert.Equal(AnswerTier.Semantic, (await AskAsync(pipeline, Paraphrase)).Tier);
        Assert.Equal(AnswerTier.Exact, (await AskAsync(pipeline, Paraphrase)).Tier);

        int removed = await pipeline.ReportWrongAnswerAsync(Paraphrase, new AskOptions(Scope));
        Assert.True(removed >= 1, $"removed {removed}");

        // The stored question that served it now has a similarity floor above the reported question...
        var internals = (RagPipeline)pipeline;
        ScopeKey key = Scope.GetKey(internals.VersionStamp);
        SemanticEntryStats? stats = internals.LocalSemanticTier.GetStats(key, QuestionNormalizer.Normalize(Original));
        Assert.NotNull(stats);
        Assert.True(stats.Value.MinSimilarity > 0.9f, $"floor {stats.Value.MinSimilarity}");
        Assert.Equal(1, stats.Value.WrongReports);

        // ...so the reported question is answered afresh, not from the cache.
        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, Paraphrase)).Tier);

        // The original question's own answer was not reported: it is still served.
        Assert.Equal(AnswerTier.Exact, (await AskAsync(pipeline, Original)).Tier);

        // Reporting the original removes it from every tier.
        Assert.True(await pipeline.ReportWrongAnswerAsync(Original, new AskOptions(Scope)) >= 2);
        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, Original)).Tier);
    }

    private sealed class RecordingVerifier(bool same) : IAnswerVerifier
    {
        public List<(string Question, string Cached, string Fresh)> Calls { get; } = [];

        public ValueTask<bool> SameAnswerAsync(string question, string cachedAnswer, string freshAnswer, CancellationToken cancellationToken)
        {
            Calls.Add((question, cachedAnswer, freshAnswer));
            return ValueTask.FromResult(same);
        }
    }

    [Fact]
    public async Task Verified_rule_explores_a_borderline_paraphrase_and_asks_the_verifier()
    {
        const string Original = "How do I enable two-factor authentication?";
        const string Paraphrase = "How can I enable two-factor authentication?";
        var verifier = new RecordingVerifier(same: false);
        using IRagPipeline pipeline = await BuildAsync(o =>
        {
            o.SemanticMatchRule = SemanticMatchRules.Verified(0.02f);
            o.SemanticThreshold = 0.999f; // everything between the rule's floor (0.80) and this is explored
            o.AnswerVerifier = verifier;
        });
        RagAnswer original = await AskAsync(pipeline, Original);
        Assert.Equal(AnswerTier.Generated, original.Tier);
        Assert.Empty(verifier.Calls);

        RagAnswer explored = await AskAsync(pipeline, Paraphrase);
        Assert.Equal(AnswerTier.Generated, explored.Tier);
        (string question, string cached, string fresh) = Assert.Single(verifier.Calls);
        Assert.Equal(QuestionNormalizer.Normalize(Paraphrase), question);
        Assert.Equal(original.Text, cached);
        Assert.Equal(explored.Text, fresh);

        // The failed verification is recorded on the entry: even at the usual threshold it is not served to that question.
        var internals = (RagPipeline)pipeline;
        ScopeKey key = Scope.GetKey(internals.VersionStamp);
        var embedded = await model.Embedder.GenerateAsync([QuestionNormalizer.Normalize(Paraphrase)]);
        SemanticCacheHit? hit = internals.LocalSemanticTier.Find(new SemanticQuery(key, "other", embedded[0].Vector, 0.85f), out SemanticExploration again);
        Assert.True(hit is null || hit.Answer.Question != QuestionNormalizer.Normalize(Original));
    }

    [Fact]
    public async Task Follow_up_question_is_not_served_across_conversations()
    {
        using IRagPipeline pipeline = await BuildAsync();
        string[] aboutAlice = ["Who founded the company?", "Alice Martin founded the company in 1990."];
        string[] aboutBob = ["Who joined in 2015?", "Bob Stone joined in 2015."];

        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, "How old is he?", aboutAlice)).Tier);
        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, "How old is he?", aboutBob)).Tier);

        // Within the same conversation context the cache answers.
        Assert.Equal(AnswerTier.Exact, (await AskAsync(pipeline, "How old is he?", aboutAlice)).Tier);
        Assert.Equal(AnswerTier.Exact, (await AskAsync(pipeline, "How old is he?", aboutBob)).Tier);

        // A question that does not depend on the conversation is shared across conversations.
        Assert.Equal(AnswerTier.Generated, (await AskAsync(pipeline, "How long do refunds take to arrive?", aboutAlice)).Tier);
        Assert.Equal(AnswerTier.Exact, (await AskAsync(pipeline, "How long do refunds take to arrive?", aboutBob)).Tier);
    }

    [Theory]
    [InlineData("How old is he?", true)]
    [InlineData("And in 2020?", true)]
    [InlineData("What about that one?", true)]
    [InlineData("How long do refunds take to arrive?", false)]
    public void FollowUpDetectionFindsPronounsAndEllipsis(string question, bool depends) =>
        Assert.Equal(depends, ConversationScope.DependsOnContext(question));
}
