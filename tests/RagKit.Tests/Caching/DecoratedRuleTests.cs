using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>
/// A rule declares what the tier must do for it (its candidate floor, its answer similarity) through
/// <see cref="ISemanticMatchRule"/>, so a user's decorator that forwards the interface behaves exactly like the rule it
/// wraps (the tier used to read the floor from the built-in rule's concrete type, and a decorated rule lost every
/// candidate below the threshold).
/// </summary>
public sealed class DecoratedRuleTests
{
    private const int Dims = 32;
    private const float Threshold = 0.90f;
    private static readonly ScopeKey Scope = new("decorated", 7);

    /// <summary>Unit vector with cosine <paramref name="similarity"/> to axis 0, the rest on axis <paramref name="side"/>.</summary>
    private static float[] Near(float similarity, int side)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[side] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static InProcessSemanticCache Cache(ISemanticMatchRule rule) => new(1000, EvictionPolicyFactory.Lru, TimeProvider.System, rule);

    private static CachedAnswer Answer(string question, string text, float[]? answerVector = null) => new()
    {
        Question = question,
        ScopeId = Scope.Id,
        Text = text,
        Citations = [],
        Provenance = [],
        CreatedAt = DateTimeOffset.UnixEpoch,
        ExpiresAt = DateTimeOffset.MaxValue,
        AnswerEmbedding = answerVector,
    };

    private static async Task<SemanticCacheHit?> FindAsync(InProcessSemanticCache cache, float querySimilarity) =>
        await cache.FindAsync(new SemanticQuery(Scope, "the question", Near(querySimilarity, 1), Threshold), default);

    /// <summary>
    /// Questions around the query: a supported answer below the threshold, one above it with a different answer nearby,
    /// a differently worded answer that only answer similarity joins, and an unsupported one below the threshold.
    /// </summary>
    private static async Task FillAsync(InProcessSemanticCache cache)
    {
        await cache.StoreAsync(Scope, Near(0.84f, 2), Answer("a1", "Answer A.", Near(0.99f, 20)), default);
        await cache.StoreAsync(Scope, Near(0.80f, 3), Answer("a2", "answer a", Near(0.99f, 20)), default);
        await cache.StoreAsync(Scope, Near(0.86f, 4), Answer("c1", "To cancel, open your orders and press Cancel.", Near(0.99f, 21)), default);
        await cache.StoreAsync(Scope, Near(0.82f, 5), Answer("c2", "Go to Orders, pick the order and choose Cancel order.", Near(0.97f, 22)), default);
        await cache.StoreAsync(Scope, Near(0.83f, 6), Answer("d", "answer d", Near(0.99f, 23)), default);
    }

    public static TheoryData<float> QuerySimilarities => [1f, 0.99f, 0.97f, 0.95f, 0.92f, 0.9f];

    [Fact]
    public async Task ADecoratedNeighbourhoodRuleServesASupportedAnswerBelowTheThreshold()
    {
        using InProcessSemanticCache plain = Cache(SemanticMatchRules.Neighbourhood(guards: false));
        using InProcessSemanticCache decorated = Cache(new ForwardingRule(SemanticMatchRules.Neighbourhood(guards: false)));
        foreach (InProcessSemanticCache cache in new[] { plain, decorated })
        {
            await cache.StoreAsync(Scope, Near(0.84f, 2), Answer("a1", "Answer A."), default);
            await cache.StoreAsync(Scope, Near(0.80f, 3), Answer("a2", "answer a"), default);
        }

        SemanticCacheHit? expected = await FindAsync(plain, 1f);
        SemanticCacheHit? actual = await FindAsync(decorated, 1f);
        Assert.NotNull(expected); // 0.84 < 0.90, served because a2 gives the same answer
        Assert.NotNull(actual);
        Assert.Equal(expected.Answer.Text, actual.Answer.Text);
        Assert.Equal(expected.Similarity, actual.Similarity);
    }

    [Theory]
    [MemberData(nameof(QuerySimilarities))]
    public async Task ADecoratorThatForwardsEverythingGetsTheSameHitsAsTheNeighbourhoodRule(float querySimilarity)
    {
        using InProcessSemanticCache plain = Cache(SemanticMatchRules.Neighbourhood(guards: false));
        using InProcessSemanticCache decorated = Cache(new ForwardingRule(SemanticMatchRules.Neighbourhood(guards: false)));
        await FillAsync(plain);
        await FillAsync(decorated);

        SemanticCacheHit? expected = await FindAsync(plain, querySimilarity);
        SemanticCacheHit? actual = await FindAsync(decorated, querySimilarity);
        Assert.Equal(expected?.Answer.Text, actual?.Answer.Text);
        Assert.Equal(expected?.Similarity, actual?.Similarity);
    }

    [Fact]
    public void ADecoratorForwardsWhatTheRuleDeclares()
    {
        ISemanticMatchRule rule = SemanticMatchRules.Neighbourhood(floor: 0.8f, answerSimilarity: 0.75f);
        var decorated = new ForwardingRule(rule);
        Assert.Equal(0.8f, rule.CandidateFloor(Threshold));
        Assert.Equal(rule.CandidateFloor(Threshold), decorated.CandidateFloor(Threshold));
        Assert.Equal(0.75f, rule.AnswerSimilarity);
        Assert.Equal(rule.AnswerSimilarity, ((ISemanticMatchRule)decorated).AnswerSimilarity);
        Assert.Equal(0.78f, SemanticMatchRules.Verified().CandidateFloor(0.78f)); // never above the threshold
        Assert.Equal(0.8f, SemanticMatchRules.Verified().CandidateFloor(Threshold));
    }

    [Fact]
    public void ARuleThatDeclaresNothingIsOfferedCandidatesFromTheThresholdAndComparesAnswersByText()
    {
        ISemanticMatchRule rule = new AcceptEverything(floor: null);
        Assert.Equal(Threshold, rule.CandidateFloor(Threshold));
        Assert.Equal(0f, rule.AnswerSimilarity);
        Assert.Equal(Threshold, SemanticMatchRules.Static.CandidateFloor(Threshold));
        Assert.Equal(Threshold, SemanticMatchRules.Guarded.CandidateFloor(Threshold));
    }

    [Fact]
    public async Task AUserRuleIsOfferedTheCandidatesDownToTheFloorItDeclares()
    {
        foreach ((float? floor, bool served) in new (float?, bool)[] { (null, false), (0.6f, true) })
        {
            using InProcessSemanticCache cache = Cache(new AcceptEverything(floor));
            await cache.StoreAsync(Scope, Near(0.7f, 2), Answer("a", "answer a"), default);
            Assert.Equal(served, await FindAsync(cache, 1f) is not null);
        }
    }

    /// <summary>A user's decorator (logging, metrics): forwards every member of the interface to the rule it wraps.</summary>
    private sealed class ForwardingRule(ISemanticMatchRule inner) : ISemanticMatchRule
    {
        public string Name => "logged " + inner.Name;

        public float AnswerSimilarity => inner.AnswerSimilarity;

        public bool Accept(in SemanticMatchCandidate candidate) => inner.Accept(candidate);

        public float CandidateFloor(float threshold) => inner.CandidateFloor(threshold);
    }

    /// <summary>A user's rule that serves anything it is offered, declaring a floor below the threshold or not.</summary>
    private sealed class AcceptEverything(float? floor) : ISemanticMatchRule
    {
        public string Name => "everything";

        public bool Accept(in SemanticMatchCandidate candidate) => true;

        float ISemanticMatchRule.CandidateFloor(float threshold) => floor is { } f ? Math.Min(f, threshold) : threshold;
    }
}
