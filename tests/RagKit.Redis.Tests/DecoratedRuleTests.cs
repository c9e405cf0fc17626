using RagKit.Caching;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>
/// The Redis tier reads a rule's candidate floor through <see cref="ISemanticMatchRule"/>, so a user's decorator that
/// forwards the interface gets the hits of the rule it wraps (the tier used to read the floor from the built-in rule's
/// concrete type, and a decorated rule lost every candidate below the threshold).
/// </summary>
[Collection("redis")]
public sealed class DecoratedRuleTests
{
    private const int Dims = 384;
    private static readonly DocumentKey Doc = new("acme", "default", "vacation");
    private readonly RedisFixture _f;

    public DecoratedRuleTests(RedisFixture fixture) => _f = fixture;

    /// <summary>Unit vector with cosine <paramref name="similarity"/> to axis 0, the rest on axis <paramref name="side"/>.</summary>
    private static float[] Near(float similarity, int side)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[side] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static SemanticQuery Query(ScopeKey scope, ISemanticMatchRule rule) =>
        new(scope, "the question", Near(1f, 1), 0.90f) { Rule = rule };

    [RedisFact]
    public async Task A_decorated_default_rule_serves_a_supported_answer_below_the_threshold()
    {
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, Prefix()));
        ScopeKey scope = Scope("acme");
        await cache.StoreAsync(scope, Near(0.84f, 2), Answer(scope, "question a one", "Answer A.", Doc), CancellationToken.None);
        await cache.StoreAsync(scope, Near(0.80f, 3), Answer(scope, "question a two", "answer a", Doc), CancellationToken.None);
        ISemanticMatchRule rule = new RagKitOptions().SemanticMatchRule;

        SemanticCacheHit? expected = await cache.FindAsync(Query(scope, rule), CancellationToken.None);
        SemanticCacheHit? actual = await cache.FindAsync(Query(scope, new ForwardingRule(rule)), CancellationToken.None);
        Assert.NotNull(expected); // 0.84 < 0.90, served because another question gave the same answer
        Assert.NotNull(actual);
        Assert.Equal(expected.Answer.Text, actual.Answer.Text);
        Assert.Equal(expected.Similarity, actual.Similarity, 5);
    }

    [RedisFact]
    public async Task A_user_rule_is_offered_the_candidates_down_to_the_floor_it_declares()
    {
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, Prefix()));
        ScopeKey scope = Scope("acme");
        await cache.StoreAsync(scope, Near(0.75f, 2), Answer(scope, "question a", "answer a", Doc), CancellationToken.None);

        Assert.Null(await cache.FindAsync(Query(scope, new AcceptEverything(null)), CancellationToken.None));
        SemanticCacheHit? hit = await cache.FindAsync(Query(scope, new AcceptEverything(0.7f)), CancellationToken.None);
        Assert.Equal("answer a", hit?.Answer.Text);
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
