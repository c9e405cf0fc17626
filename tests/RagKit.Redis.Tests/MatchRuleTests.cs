using RagKit.Caching;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>The Redis tier applies the query's match rule with the answer neighbourhood it fetched (constructed embeddings).</summary>
[Collection("redis")]
public sealed class MatchRuleTests
{
    private const int Dims = 384;
    private static readonly DocumentKey Doc = new("acme", "default", "vacation");
    private readonly RedisFixture _f;

    public MatchRuleTests(RedisFixture fixture) => _f = fixture;

    /// <summary>Unit vector with cosine <paramref name="similarity"/> to axis 0, the rest on axis <paramref name="side"/>.</summary>
    private static float[] Near(float similarity, int side)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[side] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static SemanticQuery Query(ScopeKey scope, ISemanticMatchRule? rule) =>
        new(scope, "the question", Near(1f, 1), 0.90f) { Rule = rule };

    [RedisFact]
    public async Task A_different_answer_nearly_as_close_blocks_the_hit_under_the_default_rule()
    {
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, Prefix()));
        ScopeKey scope = Scope("acme");
        await cache.StoreAsync(scope, Near(0.95f, 2), Answer(scope, "question a", "answer a", Doc), CancellationToken.None);
        await cache.StoreAsync(scope, Near(0.88f, 3), Answer(scope, "question b", "answer b", Doc), CancellationToken.None);

        SemanticCacheHit? plain = await cache.FindAsync(Query(scope, null), CancellationToken.None);
        Assert.Equal("answer a", plain?.Answer.Text);
        Assert.Null(await cache.FindAsync(Query(scope, new RagKitOptions().SemanticMatchRule), CancellationToken.None));
    }

    [RedisFact]
    public async Task A_supported_answer_below_the_threshold_is_served_under_the_default_rule_only()
    {
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, Prefix()));
        ScopeKey scope = Scope("acme");
        await cache.StoreAsync(scope, Near(0.84f, 2), Answer(scope, "question a one", "Answer A.", Doc), CancellationToken.None);
        ISemanticMatchRule rule = new RagKitOptions().SemanticMatchRule;
        Assert.Null(await cache.FindAsync(Query(scope, rule), CancellationToken.None)); // unsupported, below 0.90

        await cache.StoreAsync(scope, Near(0.80f, 3), Answer(scope, "question a two", "answer a", Doc), CancellationToken.None);
        SemanticCacheHit? hit = await cache.FindAsync(Query(scope, rule), CancellationToken.None);
        Assert.NotNull(hit);
        Assert.Equal("Answer A.", hit.Answer.Text);
        Assert.Null(await cache.FindAsync(Query(scope, null), CancellationToken.None)); // the plain threshold does not
    }
}
