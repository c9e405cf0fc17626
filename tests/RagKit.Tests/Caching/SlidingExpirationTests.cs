using Microsoft.Extensions.Time.Testing;
using RagKit.Caching;
using RagKit.Ingestion;

namespace RagKit.Tests.Caching;

/// <summary>Expire-after-access (sliding expiration) on the in-process tiers, driven by a fake clock.</summary>
public sealed class SlidingExpirationTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private static readonly ScopeKey Key = new RagScope("acme").GetKey("v1");
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    public static TheoryData<string> Policies => ["lru", "w-tinylfu", "gdsf"];

    private static EvictionPolicyFactory Policy(string name) => name switch
    {
        "lru" => EvictionPolicyFactory.Lru,
        "w-tinylfu" => EvictionPolicyFactory.WTinyLfu,
        _ => EvictionPolicyFactory.Gdsf,
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void Exact_tier_entry_hit_within_the_idle_time_slides_and_one_left_idle_expires_before_its_ttl(string policy)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new ExactAnswerCache(100, 1 << 20, Policy(policy), time, Idle);
        cache.Set(Key, Answer("busy", time.GetUtcNow() + Ttl));
        cache.Set(Key, Answer("idle", time.GetUtcNow() + Ttl));

        // 'busy' is hit every 4 minutes, so it outlives several idle periods; 'idle' is never hit.
        for (int i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMinutes(4));
            Assert.NotNull(cache.TryGet(Key, "busy"));
        }

        Assert.Null(cache.TryGet(Key, "idle"));
        Assert.Equal(1, cache.Count);

        // Left alone for the idle time, 'busy' expires too, 20 minutes before its TTL.
        time.Advance(Idle);
        Assert.Null(cache.TryGet(Key, "busy"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Exact_tier_ttl_still_bounds_an_entry_that_is_hit_all_the_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new ExactAnswerCache(100, 1 << 20, EvictionPolicyFactory.WTinyLfu, time, Idle);
        cache.Set(Key, Answer("busy", time.GetUtcNow() + TimeSpan.FromMinutes(10)));

        time.Advance(TimeSpan.FromMinutes(4));
        Assert.NotNull(cache.TryGet(Key, "busy"));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.NotNull(cache.TryGet(Key, "busy"));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(cache.TryGet(Key, "busy"));
    }

    [Fact]
    public void Exact_tier_without_sliding_expiration_keeps_an_idle_entry_until_its_ttl()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new ExactAnswerCache(100, 1 << 20, EvictionPolicyFactory.Lru, time);
        cache.Set(Key, Answer("idle", time.GetUtcNow() + Ttl));

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(cache.TryGet(Key, "idle"));
    }

    [Fact]
    public async Task Semantic_tier_entry_served_within_the_idle_time_slides_and_one_left_idle_expires()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var cache = new InProcessSemanticCache(100, EvictionPolicyFactory.WTinyLfu, time, SemanticMatchRules.Static, slidingExpiration: Idle);
        float[] busy = [1, 0, 0, 0];
        float[] idle = [0, 1, 0, 0];
        await cache.StoreAsync(Key, busy, Answer("busy", time.GetUtcNow() + Ttl), CancellationToken.None);
        await cache.StoreAsync(Key, idle, Answer("idle", time.GetUtcNow() + Ttl), CancellationToken.None);

        for (int i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMinutes(4));
            SemanticCacheHit? hit = await cache.FindAsync(new SemanticQuery(Key, "busy again", new float[] { 0.99f, 0.05f, 0, 0 }, 0.9f), CancellationToken.None);
            Assert.Equal("answer to busy", hit?.Answer.Text);
        }

        Assert.Null(await cache.FindAsync(new SemanticQuery(Key, "idle again", new float[] { 0.05f, 0.99f, 0, 0 }, 0.9f), CancellationToken.None));
        Assert.Equal(1, cache.Count);

        time.Advance(Idle);
        Assert.Null(await cache.FindAsync(new SemanticQuery(Key, "busy again", new float[] { 0.99f, 0.05f, 0, 0 }, 0.9f), CancellationToken.None));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Pipeline_regenerates_an_answer_left_idle_in_both_in_process_tiers_and_keeps_serving_one_asked_often()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var scope = new RagScope("acme", "help");
        using var pipeline = (RagPipeline)new RagPipelineBuilder()
            .UseEmbeddingGenerator(fixture.Embedder)
            .UseTimeProvider(time)
            .Configure(o =>
            {
                o.Ttl = Ttl;
                o.SlidingExpiration = Idle;
            })
            .Build();
        await pipeline.IngestAsync(scope,
        [
            new RagDocument("refunds", "Refunds are paid back to the original card within five business days of receiving the returned item."),
            new RagDocument("passwords", "To reset your password, open Settings, choose Security and press Reset password. A link arrives by email."),
        ]);
        var options = new AskOptions(scope);
        const string Often = "How long do refunds take?";
        const string Once = "How do I reset my password?";

        Assert.Equal(AnswerTier.Generated, (await pipeline.AskAsync(Often, options)).Report.Tier);
        Assert.Equal(AnswerTier.Generated, (await pipeline.AskAsync(Once, options)).Report.Tier);
        for (int i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromMinutes(4));
            Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Often, options)).Report.Tier);
        }

        // 16 minutes idle, far inside the one-hour TTL: gone from the exact and the semantic tier alike.
        Assert.Equal(AnswerTier.Generated, (await pipeline.AskAsync(Once, options)).Report.Tier);
    }

    [Fact]
    public void A_sliding_expiration_that_is_not_positive_is_rejected_naming_the_setting()
    {
        var options = new RagKitOptions { SlidingExpiration = TimeSpan.Zero };
        ArgumentException e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(nameof(RagKitOptions.SlidingExpiration), e.ParamName);

        var chat = new RagKit.AI.RagKitChatCacheOptions { SlidingExpiration = TimeSpan.FromSeconds(-1) };
        Assert.Equal("SlidingExpiration", Assert.Throws<ArgumentException>(chat.Validate).ParamName);
    }

    private static CachedAnswer Answer(string question, DateTimeOffset expires) =>
        EvictionPolicyTests.Answer(Key, question, "answer to " + question, TimeSpan.FromSeconds(1), TimeProvider.System, expires);
}
