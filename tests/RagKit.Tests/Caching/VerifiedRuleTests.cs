using RagKit.Caching;

namespace RagKit.Tests.Caching;

public sealed class VerifiedRuleTests
{
    private const int Dims = 32;
    private static readonly ScopeKey Scope = new("verified", 7);

    /// <summary>Unit vector with cosine <paramref name="similarity"/> to axis <paramref name="axis"/>, leaning towards <paramref name="side"/>.</summary>
    private static float[] Near(int axis, float similarity, int side)
    {
        var v = new float[Dims];
        v[axis] = similarity;
        v[side] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static float[] Axis(int axis) => Near(axis, 1f, axis == 0 ? 1 : 0);

    private static CachedAnswer Answer(string question, string text) => TestAnswers.Answer(Scope, question, text);

    private static InProcessSemanticCache Cache(VerifiedMatchRule rule) => new(1000, EvictionPolicyFactory.Lru, TimeProvider.System, rule);

    [Fact]
    public void Unverified_entry_above_the_threshold_is_served_and_below_it_is_explored()
    {
        var rule = new VerifiedMatchRule(0.02f, guards: false);
        using InProcessSemanticCache cache = Cache(rule);
        cache.Store(Scope, Axis(0), Answer("q0", "a0"), default);

        SemanticCacheHit? hit = cache.Find(new SemanticQuery(Scope, "q1", Near(0, 0.95f, 5), 0.90f), out SemanticExploration ex);
        Assert.NotNull(hit);
        Assert.False(ex.IsExplore);

        hit = cache.Find(new SemanticQuery(Scope, "q2", Near(0, 0.85f, 5), 0.90f), out ex);
        Assert.Null(hit);
        Assert.True(ex.IsExplore);
        Assert.Equal("a0", ex.Answer!.Text);

        hit = cache.Find(new SemanticQuery(Scope, "q3", Near(0, 0.70f, 5), 0.90f), out ex);
        Assert.Null(hit);
        Assert.False(ex.IsExplore); // below the floor: a plain miss
    }

    [Fact]
    public void Entry_whose_explored_verification_failed_is_no_longer_served_at_that_similarity()
    {
        var rule = new VerifiedMatchRule(0.02f, guards: false);
        using InProcessSemanticCache cache = Cache(rule);
        cache.Store(Scope, Axis(0), Answer("q0", "a0"), default);
        cache.Store(Scope, Axis(1), Answer("r0", "b0"), default);

        // A strict ask explores the candidate at 0.95; the verifier says the fresh answer differs.
        Assert.Null(cache.Find(new SemanticQuery(Scope, "q1", Near(0, 0.95f, 5), 0.99f), out SemanticExploration ex));
        Assert.True(ex.IsExplore);
        cache.RecordVerification(ex, sameAnswer: false);

        // At the usual threshold the failed entry is explored, not served, at that similarity and below ...
        Assert.Null(cache.Find(new SemanticQuery(Scope, "q2", Near(0, 0.95f, 6), 0.90f), out ex));
        Assert.True(ex.IsExplore);
        Assert.Null(cache.Find(new SemanticQuery(Scope, "q3", Near(0, 0.92f, 6), 0.90f), out ex));
        Assert.True(ex.IsExplore);

        // ... above it, and for the other entry at the same similarity, it still serves.
        Assert.NotNull(cache.Find(new SemanticQuery(Scope, "q4", Near(0, 0.97f, 6), 0.90f), out _));
        Assert.Equal("b0", cache.Find(new SemanticQuery(Scope, "r1", Near(1, 0.95f, 6), 0.90f), out _)?.Answer.Text);
    }

    [Fact]
    public void Similarity_band_learned_wrong_is_explored_for_every_entry_and_learned_right_is_served_below_the_threshold()
    {
        var rule = new VerifiedMatchRule(0.02f, guards: false);
        for (int i = 0; i < 60; i++)
        {
            rule.Record(0.92f, NeighbourhoodClass.Alone, correct: i % 3 != 0); // a third wrong at 0.92
            rule.Record(0.86f, NeighbourhoodClass.Alone, correct: true);      // always right at 0.86
            rule.Record(0.86f, NeighbourhoodClass.Alone, correct: true);
        }

        Assert.Equal(SemanticDecision.Explore, rule.Decide("a", "b", 0.92f, 0.90f, 0, NeighbourhoodClass.Alone, null));
        Assert.Equal(SemanticDecision.Serve, rule.Decide("a", "b", 0.86f, 0.90f, 0, NeighbourhoodClass.Alone, null));
        Assert.Equal(SemanticDecision.Miss, rule.Decide("a", "b", 0.75f, 0.90f, 0, NeighbourhoodClass.Alone, null));
    }

    [Fact]
    public void Verified_same_answer_joins_the_cluster_and_agreeing_neighbours_are_learned_separately()
    {
        var rule = new VerifiedMatchRule(0.02f, guards: false);
        using InProcessSemanticCache cache = Cache(rule);
        cache.Store(Scope, Axis(0), Answer("q0", "a0"), default);
        Assert.Null(cache.Find(new SemanticQuery(Scope, "q1", Near(0, 0.85f, 5), 0.90f), out SemanticExploration ex));
        Assert.Equal(NeighbourhoodClass.Alone, ex.Neighbourhood);
        cache.RecordVerification(ex, sameAnswer: true);
        cache.Store(Scope, Near(0, 0.85f, 5), Answer("q1", "a0 again"), ex);

        // Both stored questions are near the next one and share one answer cluster: a unanimous vote.
        var between = new float[Dims];
        between[0] = 0.93f;
        between[5] = 0.30f;
        between[6] = 0.21f;
        Assert.Null(cache.Find(new SemanticQuery(Scope, "q2", between, 0.99f), out ex));
        Assert.True(ex.IsExplore);
        Assert.Equal(NeighbourhoodClass.Agreeing(1), ex.Neighbourhood);
        Assert.Equal(1, rule.Observations);
    }

    [Fact]
    public void Decision_path_allocates_nothing()
    {
        var rule = new VerifiedMatchRule(0.02f, guards: true);
        var entry = new EntryObservations();
        entry.Record(0.93f, correct: true);
        for (int i = 0; i < 30; i++)
        {
            rule.Record(0.91f, NeighbourhoodClass.Agreeing(2), correct: true);
        }

        // Warm up (JIT, statics).
        int served = 0;
        for (int i = 0; i < 100; i++)
        {
            served += (int)rule.Decide("how do i top up", "how do i top up", 0.95f, 0.90f, 0, NeighbourhoodClass.Agreeing(2), entry);
            served += (int)rule.Decide("how do i top up", "top up how", 0.85f, 0.90f, 0, NeighbourhoodClass.Ambiguous, entry);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            served += (int)rule.Decide("how do i top up", "how do i top up", 0.95f, 0.90f, 0, NeighbourhoodClass.Agreeing(2), entry);
            served += (int)rule.Decide("how do i top up", "top up how", 0.85f, 0.90f, 0, NeighbourhoodClass.Ambiguous, entry);
            served += (int)rule.Decide("how do i top up", "top up how", 0.75f, 0.90f, 0, NeighbourhoodClass.Alone, null);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(served > 0);
    }

    [Fact]
    public void In_tier_lookup_that_misses_or_explores_allocates_nothing()
    {
        var rule = new VerifiedMatchRule(0.02f, guards: false);
        using InProcessSemanticCache cache = Cache(rule);
        for (int i = 0; i < 8; i++)
        {
            cache.Store(Scope, Axis(i), Answer("q" + i, "a" + i), default);
        }

        var explore = new SemanticQuery(Scope, "x", Near(0, 0.85f, 9), 0.90f);
        var miss = new SemanticQuery(Scope, "y", Near(3, 0.5f, 9), 0.90f);
        for (int i = 0; i < 50; i++)
        {
            _ = cache.Find(explore, out _);
            _ = cache.Find(miss, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int explored = 0;
        for (int i = 0; i < 200; i++)
        {
            _ = cache.Find(explore, out SemanticExploration ex);
            explored += ex.IsExplore ? 1 : 0;
            _ = cache.Find(miss, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(200, explored);
    }

    [Theory]
    [InlineData("how do i enable two-factor authentication", "how do i disable two-factor authentication", false)]
    [InlineData("can i withdraw 100 dollars", "can i withdraw 500 dollars", false)]
    [InlineData("can i withdraw cash abroad", "can't i withdraw cash abroad", false)]
    [InlineData("flights from paris via rome to london", "flights from london via rome to paris", false)]
    [InlineData("how do i enable two-factor authentication", "how can i enable two-factor authentication", true)]
    [InlineData("why was my card declined at the shop", "my card was declined at the shop, why", true)]
    public void GuardedRuleDecidesWithoutAllocating(string question, string candidate, bool compatible)
    {
        var c = new SemanticMatchCandidate(question, ReadOnlyMemory<float>.Empty, candidate, ReadOnlyMemory<float>.Empty, 0.95f, 0.90f, default);
        Assert.Equal(compatible, SemanticMatchRules.Guarded.Accept(c));

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool accepted = true;
        for (int i = 0; i < 100; i++)
        {
            accepted &= SemanticMatchRules.Guarded.Accept(c) == compatible;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(accepted);
    }

    [Fact]
    public async Task Normalized_text_verifier_ignores_case_and_punctuation()
    {
        Assert.True(await AnswerVerifiers.NormalizedText.SameAnswerAsync("q", "Refunds take 5 days.", "refunds take 5 days", default));
        Assert.False(await AnswerVerifiers.NormalizedText.SameAnswerAsync("q", "Refunds take 5 days.", "Refunds take 7 days.", default));
    }
}
