using RagKit.Caching;
using StackExchange.Redis;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>The Redis tier on its own: formats, limits, capacity, single-flight, cluster.</summary>
[Collection("redis")]
public sealed class TierTests
{
    private static readonly DocumentKey Doc = new("acme", "default", "vacation");
    private readonly RedisFixture _f;

    public TierTests(RedisFixture fixture) => _f = fixture;

    [RedisFact]
    public async Task Corrupt_or_foreign_format_entry_is_a_miss_and_is_deleted()
    {
        string prefix = Prefix();
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        float[] v = await EmbedAsync(_f.Embedder, "What is the VPN address?");
        var query = new SemanticQuery(scope, "q", v, 0.9f);

        foreach (Func<byte[], byte[]> damage in new Func<byte[], byte[]>[]
        {
            _ => "not a ragkit entry"u8.ToArray(),
            b => { b[3] = 99; return b; },                 // a future format version
            b => b[..(b.Length - 10)],                     // truncated JSON
        })
        {
            await cache.StoreAsync(scope, v, Answer(scope, "What is the VPN address?", "vpn.example.com", Doc), CancellationToken.None);
            Assert.NotNull(await cache.FindAsync(query, CancellationToken.None));
            RedisKey key = Assert.Single(await KeysAsync(_f.Server!.Endpoint, $"{prefix}:*:e:*"));
            byte[] bytes = (byte[])(await db.StringGetAsync(key))!;
            await db.StringSetAsync(key, damage(bytes));

            Assert.Null(await cache.FindAsync(query, CancellationToken.None));
            Assert.False(await db.KeyExistsAsync(key));
            Assert.Equal(0, ((RedisSemanticCacheImpl)cache).MirrorCount(scope.Hash));
        }
    }

    [RedisFact]
    public async Task Values_over_the_size_limit_are_not_stored()
    {
        string prefix = Prefix();
        RedisSemanticCacheOptions options = Options(_f.Server!.Endpoint, prefix);
        options.MaxValueBytes = 4096;
        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);
        ScopeKey scope = Scope("acme");
        float[] v = await EmbedAsync(_f.Embedder, "Tell me everything");
        await cache.StoreAsync(scope, v, Answer(scope, "Tell me everything", new string('x', 5000), Doc), CancellationToken.None);

        Assert.Null(await cache.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None));
        Assert.Empty(await KeysAsync(_f.Server!.Endpoint, $"{prefix}:*"));
    }

    [RedisFact]
    public async Task Capacity_per_scope_evicts_by_policy_in_Redis_and_in_the_mirror()
    {
        string prefix = Prefix();
        RedisSemanticCacheOptions options = Options(_f.Server!.Endpoint, prefix);
        options.SemanticCapacityPerScope = 3;
        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);
        ScopeKey scope = Scope("acme");
        string[] questions = ["How do I reset my password?", "Where is the cafeteria?", "What is the wifi password?", "Who approves vacation?", "How do I book a meeting room?"];
        var vectors = new List<float[]>();
        foreach (string q in questions)
        {
            float[] v = await EmbedAsync(_f.Embedder, q);
            vectors.Add(v);
            await cache.StoreAsync(scope, v, Answer(scope, q, "answer to " + q, Doc), CancellationToken.None);
        }

        Assert.Equal(3, (await KeysAsync(_f.Server!.Endpoint, $"{prefix}:*:e:*")).Count);
        Assert.Equal(3, ((RedisSemanticCacheImpl)cache).MirrorCount(scope.Hash));

        // LRU: the two oldest are gone, the newest is served.
        Assert.Null(await cache.FindAsync(new SemanticQuery(scope, "q", vectors[0], 0.95f), CancellationToken.None));
        Assert.Equal("answer to " + questions[4], (await cache.FindAsync(new SemanticQuery(scope, "q", vectors[4], 0.95f), CancellationToken.None))?.Answer.Text);
    }

    [RedisFact]
    public async Task Expired_entry_is_a_miss_and_dropped_from_the_mirror()
    {
        string prefix = Prefix();
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        ScopeKey scope = Scope("acme");
        float[] v = await EmbedAsync(_f.Embedder, "short lived question");
        CachedAnswer answer = Answer(scope, "short lived question", "soon gone", Doc);
        answer = new CachedAnswer
        {
            Question = answer.Question, ScopeId = answer.ScopeId, Text = answer.Text, Citations = answer.Citations,
            Provenance = answer.Provenance, CreatedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddMilliseconds(1200),
        };
        await cache.StoreAsync(scope, v, answer, CancellationToken.None);
        Assert.NotNull(await cache.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None));
        await Task.Delay(1500);
        Assert.Null(await cache.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None));
        Assert.Equal(0, ((RedisSemanticCacheImpl)cache).MirrorCount(scope.Hash));
    }

    [RedisFact]
    public async Task Single_flight_lease_expiry_lets_a_waiter_take_over()
    {
        string prefix = Prefix();
        RedisSemanticCacheOptions options = Options(_f.Server!.Endpoint, prefix);
        options.SingleFlightLease = TimeSpan.FromMilliseconds(400);
        using IRedisSemanticCache a = RedisSemanticCache.Create(options);
        using IRedisSemanticCache b = RedisSemanticCache.Create(options);
        ScopeKey scope = Scope("acme");

        string? holder = await a.SingleFlight.TryAcquireAsync(scope, "q", CancellationToken.None);
        Assert.NotNull(holder);
        Assert.Null(await b.SingleFlight.TryAcquireAsync(scope, "q", CancellationToken.None));

        // The holder "dies" (never releases): the waiter gets no answer once the lease expires, and takes over.
        Assert.Null(await b.SingleFlight.WaitForAnswerAsync(scope, "q", CancellationToken.None));
        string? taker = await b.SingleFlight.TryAcquireAsync(scope, "q", CancellationToken.None);
        Assert.NotNull(taker);

        // A released lease with an answer hands that answer to waiters.
        Task<CachedAnswer?> waiting = a.SingleFlight.WaitForAnswerAsync(scope, "q", CancellationToken.None).AsTask();
        await b.SingleFlight.ReleaseAsync(scope, "q", taker!, Answer(scope, "q", "the shared answer", Doc), CancellationToken.None);
        Assert.Equal("the shared answer", (await waiting)?.Text);
    }

    [RedisFact]
    public async Task Shared_exact_tier_over_IDistributedCache_honours_document_invalidation()
    {
        string prefix = Prefix();
        using IRedisSemanticCache a = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache b = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        ScopeKey scope = Scope("acme");
        CachedAnswer answer = Answer(scope, "Who approves vacation?", "Your manager.", Doc);

        await a.ExactCache.SetAsync(scope, answer, CancellationToken.None);
        Assert.Equal("Your manager.", (await b.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None))?.Text);
        Assert.Null(await b.ExactCache.GetAsync(Scope("globex"), answer.Question, CancellationToken.None));

        await b.ExactCache.InvalidateDocumentsAsync([Doc], CancellationToken.None);
        Assert.Null(await a.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None));
    }

    [RedisFact]
    public void Invalid_options_name_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => RedisSemanticCache.Create(new RedisSemanticCacheOptions { ConnectionString = "localhost", SemanticCapacityPerScope = 0 }));
        Assert.Contains("SemanticCapacityPerScope", e.Message);
        e = Assert.Throws<ArgumentException>(() => RedisSemanticCache.Create(new RedisSemanticCacheOptions()));
        Assert.Contains("ConnectionString", e.Message);
        e = Assert.Throws<ArgumentException>(() => RedisSemanticCache.Create(new RedisSemanticCacheOptions { ConnectionString = "localhost", KeyPrefix = "a{b}" }));
        Assert.Contains("KeyPrefix", e.Message);
        e = Assert.Throws<ArgumentException>(() => RedisSemanticCache.Create(new RedisSemanticCacheOptions { ConnectionString = "localhost", FreshnessWindow = TimeSpan.FromMilliseconds(5) }));
        Assert.Contains("FreshnessWindow", e.Message);
        e = Assert.Throws<ArgumentException>(() => RedisSemanticCache.Create(new RedisSemanticCacheOptions { ConnectionString = "localhost", ChangeMarkLifetime = TimeSpan.Zero }));
        Assert.Contains("ChangeMarkLifetime", e.Message);
        e = Assert.Throws<ArgumentException>(() => RedisSemanticCache.Create(new RedisSemanticCacheOptions { ConnectionString = "localhost", PublishTimeout = TimeSpan.FromMinutes(1) }));
        Assert.Contains("PublishTimeout", e.Message);
    }

    [RedisFact]
    public async Task Cluster_shares_entries_invalidations_exact_answers_and_single_flight()
    {
        RedisCluster cluster = _f.Cluster;
        string prefix = Prefix();
        using IRedisSemanticCache a = RedisSemanticCache.Create(Options(cluster.ConnectionString, prefix));
        using IRedisSemanticCache b = RedisSemanticCache.Create(Options(cluster.ConnectionString, prefix));
        ScopeKey scope = Scope("acme");
        float[] v1 = await EmbedAsync(_f.Embedder, "How many vacation days do I get?");
        float[] v2 = await EmbedAsync(_f.Embedder, "Where do I submit travel receipts?");
        await a.StoreAsync(scope, v1, Answer(scope, "How many vacation days do I get?", "25", Doc), CancellationToken.None);

        // B loads its mirror from Redis, then follows the stream for A's next write.
        Assert.Equal("25", (await b.FindAsync(new SemanticQuery(scope, "q", v1, 0.9f), CancellationToken.None))?.Answer.Text);
        await a.StoreAsync(scope, v2, Answer(scope, "Where do I submit travel receipts?", "In the expense tool", Doc), CancellationToken.None);
        await WaitUntilAsync(() => ((RedisSemanticCacheImpl)b).MirrorCount(scope.Hash) == 2, "B's mirror sees A's second entry");
        Assert.Equal("In the expense tool", (await b.FindAsync(new SemanticQuery(scope, "q", v2, 0.9f), CancellationToken.None))?.Answer.Text);

        Assert.Equal(2, await b.InvalidateDocumentsAsync([Doc], CancellationToken.None));
        await WaitUntilAsync(() => ((RedisSemanticCacheImpl)a).MirrorCount(scope.Hash) == 0, "A's mirror drops the invalidated entries");
        Assert.Null(await a.FindAsync(new SemanticQuery(scope, "q", v1, 0.9f), CancellationToken.None));

        CachedAnswer exact = Answer(scope, "q", "exact", Doc);
        await a.ExactCache.SetAsync(scope, exact, CancellationToken.None);
        Assert.Equal("exact", (await b.ExactCache.GetAsync(scope, "q", CancellationToken.None))?.Text);

        string? token = await a.SingleFlight.TryAcquireAsync(scope, "q", CancellationToken.None);
        Assert.NotNull(token);
        Assert.Null(await b.SingleFlight.TryAcquireAsync(scope, "q", CancellationToken.None));
        Task<CachedAnswer?> waiting = b.SingleFlight.WaitForAnswerAsync(scope, "q", CancellationToken.None).AsTask();
        await a.SingleFlight.ReleaseAsync(scope, "q", token!, exact, CancellationToken.None);
        Assert.Equal("exact", (await waiting)?.Text);
    }
}
