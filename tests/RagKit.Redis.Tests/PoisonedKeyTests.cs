using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using RagKit.Caching;
using StackExchange.Redis;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>
/// The Redis tier under faults: a cancelled half-open trial, and keys RagKit writes overwritten with another type.
/// Each poisoned key is a miss or is repaired within the call; none opens the breaker or blocks an ask or an invalidation.
/// </summary>
[Collection("redis")]
public sealed class PoisonedKeyTests
{
    private static readonly DocumentKey Doc = new("acme", "default", "vacation");
    private readonly RedisFixture _f;

    public PoisonedKeyTests(RedisFixture fixture) => _f = fixture;

    private static async Task PoisonAsync(IDatabase db, RedisKey key)
    {
        await db.KeyDeleteAsync(key);
        await db.ListRightPushAsync(key, "not what RagKit writes here");
    }

    [RedisFact]
    public async Task A_half_open_trial_cancelled_by_the_caller_does_not_keep_the_breaker_open()
    {
        using var server = new RedisServer();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        RedisSemanticCacheOptions options = Options(server.Endpoint, Prefix());
        options.TimeProvider = time;
        options.BreakerOpenDuration = TimeSpan.FromSeconds(5);
        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);
        var impl = (RedisSemanticCacheImpl)cache;
        ScopeKey scope = Scope("acme");
        Assert.Null(await cache.ExactCache.GetAsync(scope, "q", CancellationToken.None));

        // Redis down: three failures open the breaker.
        server.Stop();
        for (int i = 0; i < options.BreakerFailureThreshold; i++)
        {
            await Assert.ThrowsAnyAsync<RedisException>(() => cache.ExactCache.GetAsync(scope, "q", CancellationToken.None).AsTask());
        }

        Assert.False(cache.IsAvailable);
        server.Start();
        await WaitUntilAsync(() => impl.Database.Multiplexer.IsConnected, "the connection is back", 20_000);

        // Half-open: the one trial call is cancelled by its caller before it reaches Redis.
        time.Advance(options.BreakerOpenDuration);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.ExactCache.GetAsync(scope, "q", cancelled.Token).AsTask());

        // The next call is the trial; it succeeds and closes the breaker (before the fix: refused for good).
        Assert.Null(await cache.ExactCache.GetAsync(scope, "q", CancellationToken.None));
        Assert.True(cache.IsAvailable);
    }

    [RedisFact]
    public async Task A_shared_exact_entry_of_another_type_is_a_miss_is_removed_and_never_opens_the_breaker()
    {
        string prefix = Prefix();
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        CachedAnswer answer = Answer(scope, "Who approves vacation?", "Your manager.", Doc);
        await cache.ExactCache.SetAsync(scope, answer, CancellationToken.None);
        RedisKey key = Assert.Single(await KeysAsync(_f.Server!.Endpoint, $"{prefix}:x:*"));

        // Read path: more lookups than the breaker's threshold, each a miss; the key is deleted by the first.
        await PoisonAsync(db, key);
        for (int i = 0; i < 5; i++)
        {
            Assert.Null(await cache.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None));
            Assert.False(await db.KeyExistsAsync(key));
            Assert.True(cache.IsAvailable);
        }

        // Write path: a poisoned key is replaced, and the answer is served again.
        await PoisonAsync(db, key);
        await cache.ExactCache.SetAsync(scope, answer, CancellationToken.None);
        Assert.Equal("Your manager.", (await cache.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None))?.Text);

        // A document's epoch of another type: the answer built from it is a miss (never served stale), invalidation
        // still writes a fresh epoch, and answers stored afterwards are served.
        await cache.ExactCache.InvalidateDocumentsAsync([Doc], CancellationToken.None); // writes the document's epoch
        await cache.ExactCache.SetAsync(scope, answer, CancellationToken.None);
        Assert.NotNull(await cache.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None));
        RedisKey epoch = Assert.Single(await KeysAsync(_f.Server!.Endpoint, $"{prefix}:xd:*"));
        await PoisonAsync(db, epoch);
        Assert.Null(await cache.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None));
        await PoisonAsync(db, epoch);
        await cache.ExactCache.InvalidateDocumentsAsync([Doc], CancellationToken.None);
        Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(epoch));
        await cache.ExactCache.SetAsync(scope, answer, CancellationToken.None);
        Assert.Equal("Your manager.", (await cache.ExactCache.GetAsync(scope, answer.Question, CancellationToken.None))?.Text);
        Assert.True(cache.IsAvailable);
    }

    [RedisFact]
    public async Task A_single_flight_lease_without_expiry_is_deleted_and_the_ask_generates_at_once()
    {
        string prefix = Prefix();
        var generations = new StrongBox<int>();
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix)); // 30 s lease
        using IRagPipeline pipeline = new RagPipelineBuilder()
            .UseEmbeddingGenerator(_f.Embedder)
            .UseChatClient(new CountingChatClient(generations))
            .AddRedisSemanticCache(cache)
            .Build();
        var acme = new RagScope("acme");
        await pipeline.IngestAsync(acme, Handbook);
        const string question = "How many vacation days do employees get per year?";
        ScopeKey scope = acme.GetKey(((RagPipeline)pipeline).VersionStamp);
        (RedisKey lease, _) = ((RedisSingleFlight)cache.SingleFlight).Keys(scope, QuestionNormalizer.Normalize(question));
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        await db.StringSetAsync(lease, "a lease someone wrote without PX");

        // Before the fix the ask waited three times the lease (93 s with the default); the watchdog is far below that.
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        RagAnswer answer = await pipeline.AskAsync(question, new AskOptions(acme), watchdog.Token);

        Assert.Equal(AnswerTier.Generated, answer.Tier);
        Assert.False(answer.Report.JoinedInFlight);
        Assert.Equal(1, generations.Value);
        Assert.False(await db.KeyExistsAsync(lease)); // deleted, then taken and released by this instance

        // A lease longer than any RagKit writes, and a published result of another type: a waiter is not held either.
        var flight = (RedisSingleFlight)cache.SingleFlight;
        (lease, RedisKey result) = flight.Keys(scope, "another question");
        await db.StringSetAsync(lease, "a lease of an hour", TimeSpan.FromHours(1));
        Assert.Null(await flight.WaitForAnswerAsync(scope, "another question", watchdog.Token));
        Assert.False(await db.KeyExistsAsync(lease));
        await PoisonAsync(db, result);
        Assert.Null(await flight.WaitForAnswerAsync(scope, "another question", watchdog.Token));
        Assert.False(await db.KeyExistsAsync(result));
        string? token = await flight.TryAcquireAsync(scope, "another question", watchdog.Token);
        Assert.NotNull(token);
        await flight.ReleaseAsync(scope, "another question", token!, null, watchdog.Token);
        Assert.False(await db.KeyExistsAsync(lease));
        Assert.True(cache.IsAvailable);
    }

    [RedisFact]
    public async Task A_slow_Redis_fails_the_shared_exact_tier_within_the_operation_budget_and_opens_the_breaker()
    {
        using var server = new RedisServer();
        RedisSemanticCacheOptions options = Options(server.Endpoint, Prefix());
        options.TierTimeout = TimeSpan.FromMilliseconds(100);
        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);
        ScopeKey scope = Scope("acme");
        Assert.Null(await cache.ExactCache.GetAsync(scope, "q", CancellationToken.None));
        using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true");

        // Redis holds every client's commands for 3 s: each lookup gives up at the tier's own budget and counts as a
        // failure, so the breaker opens (before: each lookup waited for Redis, and the breaker never learned of it).
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        for (int i = 0; i < options.BreakerFailureThreshold; i++)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => cache.ExactCache.GetAsync(scope, "q", CancellationToken.None).AsTask());
        }

        Assert.False(cache.IsAvailable);
        await Assert.ThrowsAsync<RedisTierUnavailableException>(() => cache.ExactCache.GetAsync(scope, "q", CancellationToken.None).AsTask());
    }

    [RedisFact]
    public async Task A_scope_vector_hash_of_another_type_is_repaired_and_the_scope_loads_stores_and_serves_again()
    {
        string prefix = Prefix();
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        float[] first = await EmbedAsync(_f.Embedder, "Who approves vacation?");
        float[] second = await EmbedAsync(_f.Embedder, "Where do I submit travel receipts?");
        using IRedisSemanticCache writer = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        await writer.StoreAsync(scope, first, Answer(scope, "Who approves vacation?", "Your manager.", Doc), CancellationToken.None);
        RedisKey vectors = ((RedisSemanticCacheImpl)writer).VectorsKey(EntryCodec.Hex(scope.Hash));
        await PoisonAsync(db, vectors);

        // A new instance: the load meets the poisoned hash, repairs it and completes.
        using IRedisSemanticCache b = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        var implB = (RedisSemanticCacheImpl)b;
        await b.FindAsync(new SemanticQuery(scope, "q", first, 0.9f), CancellationToken.None);
        await WaitUntilAsync(() => implB.IsMirrorLoaded(scope.Hash), "the scope's mirror loads", 3000);

        // The entry stored before the poisoning is rebuilt into the hash (and B's mirror) from the entries.
        await WaitUntilAsync(() => db.KeyType(vectors) == RedisType.Hash && db.HashLength(vectors) == 1, "the vector hash is rebuilt", 3000);
        // B serves it again: from the mirror the rebuild fills, or (when a slow repair failed the load) from a reload that
        // the next lookup starts.
        await WaitUntilAsync(
            () => b.FindAsync(new SemanticQuery(scope, "q", first, 0.9f), CancellationToken.None).AsTask().GetAwaiter().GetResult()?.Answer.Text == "Your manager.",
            "B serves the rebuilt entry",
            5000);

        // Poisoned again after the load: a store repairs it and goes through; a new instance finds the answer.
        await PoisonAsync(db, vectors);
        await b.StoreAsync(scope, second, Answer(scope, "Where do I submit travel receipts?", "In the expense tool.", Doc), CancellationToken.None);
        Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(vectors));
        Assert.True(b.IsAvailable);
        await WaitUntilAsync(() => db.HashLength(vectors) == 2, "the vector hash is rebuilt again", 3000);
        using IRedisSemanticCache c = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        await c.FindAsync(new SemanticQuery(scope, "q", second, 0.9f), CancellationToken.None);
        await WaitUntilAsync(() => ((RedisSemanticCacheImpl)c).IsMirrorLoaded(scope.Hash), "a new instance loads the scope", 3000);
        Assert.Equal("In the expense tool.", (await c.FindAsync(new SemanticQuery(scope, "q", second, 0.9f), CancellationToken.None))?.Answer.Text);
        Assert.Equal("Your manager.", (await c.FindAsync(new SemanticQuery(scope, "q", first, 0.9f), CancellationToken.None))?.Answer.Text);
    }

    [RedisFact]
    public async Task An_instance_that_loaded_the_scope_before_the_rebuild_gets_the_restored_entries()
    {
        string prefix = Prefix();
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        float[] first = await EmbedAsync(_f.Embedder, "Who approves vacation?");
        float[] second = await EmbedAsync(_f.Embedder, "Where do I submit travel receipts?");
        using IRedisSemanticCache a = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        await a.StoreAsync(scope, first, Answer(scope, "Who approves vacation?", "Your manager.", Doc), CancellationToken.None);
        RedisKey vectors = ((RedisSemanticCacheImpl)a).VectorsKey(EntryCodec.Hex(scope.Hash));

        // The window between a repair that deleted the poisoned hash and the rebuild: B loads the scope from nothing.
        await db.KeyDeleteAsync(vectors);
        using IRedisSemanticCache b = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        Assert.Null(await b.FindAsync(new SemanticQuery(scope, "q", first, 0.9f), CancellationToken.None));
        await WaitUntilAsync(() => ((RedisSemanticCacheImpl)b).IsMirrorLoaded(scope.Hash), "B loads the scope", 3000);

        // A meets the poisoned hash on a store: it repairs it and rebuilds it from the entries. B's mirror gets the entry
        // stored before the repair (before: the rebuild filled only the hash and A's mirror, and B never served it).
        await PoisonAsync(db, vectors);
        await a.StoreAsync(scope, second, Answer(scope, "Where do I submit travel receipts?", "In the expense tool.", Doc), CancellationToken.None);
        await WaitUntilAsync(() => db.HashLength(vectors) == 2, "the vector hash is rebuilt", 3000);
        await WaitUntilAsync(
            () => b.FindAsync(new SemanticQuery(scope, "q", first, 0.9f), CancellationToken.None).AsTask().GetAwaiter().GetResult()?.Answer.Text == "Your manager.",
            "B serves the entry stored before the repair",
            5000);
        Assert.Equal("In the expense tool.", (await b.FindAsync(new SemanticQuery(scope, "q", second, 0.9f), CancellationToken.None))?.Answer.Text);
    }

    [RedisFact]
    public async Task A_scope_vector_hash_of_another_type_does_not_block_invalidation()
    {
        string prefix = Prefix();
        using IRedisSemanticCache a = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache b = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        float[] v = await EmbedAsync(_f.Embedder, "Who approves vacation?");
        await a.StoreAsync(scope, v, Answer(scope, "Who approves vacation?", "Your manager.", Doc), CancellationToken.None);
        RedisKey entry = Assert.Single(await KeysAsync(_f.Server!.Endpoint, $"{prefix}:*:e:*"));
        await PoisonAsync(db, ((RedisSemanticCacheImpl)a).VectorsKey(EntryCodec.Hex(scope.Hash)));

        Assert.Equal(1, await a.InvalidateDocumentsAsync([Doc], CancellationToken.None));
        Assert.False(await db.KeyExistsAsync(entry));

        // The pipeline then publishes the new version (here: a deletion) on the change stream; the other instance hears it.
        await ((IDocumentInvalidationFeed)a).PublishVersionsAsync([new DocumentVersion(Doc, DocumentVersion.Deleted)], CancellationToken.None);
        await WaitUntilAsync(() => ((RedisSemanticCacheImpl)b).RemoteInvalidations >= 1, "the other instance hears of the invalidation");
        Assert.Null(await a.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None));
        Assert.True(a.IsAvailable);
    }

    [RedisFact]
    public async Task A_scope_question_hash_of_another_type_is_repaired_by_a_store_and_by_a_removal()
    {
        string prefix = Prefix();
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server!.Endpoint);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        RedisKey questions = ((RedisSemanticCacheImpl)cache).QuestionsKey(EntryCodec.Hex(scope.Hash));
        float[] v = await EmbedAsync(_f.Embedder, "Who approves vacation?");
        CachedAnswer answer = Answer(scope, "Who approves vacation?", "Your manager.", Doc);

        // Removal ("report wrong answer") meets the poisoned hash: nothing to remove, and the hash is repaired.
        await PoisonAsync(db, questions);
        Assert.Equal(0, await cache.RemoveAsync(scope, answer.Question, CancellationToken.None));
        Assert.False(await db.KeyExistsAsync(questions));

        // A store meets it: repaired and stored; the answer is served and can be removed again.
        await PoisonAsync(db, questions);
        await cache.StoreAsync(scope, v, answer, CancellationToken.None);
        Assert.Equal("Your manager.", (await cache.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None))?.Answer.Text);
        Assert.Equal(1, await cache.RemoveAsync(scope, answer.Question, CancellationToken.None));
        Assert.Null(await cache.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None));
        Assert.True(cache.IsAvailable);
    }

    [RedisFact]
    public async Task On_Redis_Cluster_a_poisoned_vector_hash_and_lease_are_repaired()
    {
        RedisCluster cluster = _f.Cluster;
        string prefix = Prefix();
        using IRedisSemanticCache a = RedisSemanticCache.Create(Options(cluster.ConnectionString, prefix));
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
        IDatabase db = mux.GetDatabase();
        ScopeKey scope = Scope("acme");
        float[] v = await EmbedAsync(_f.Embedder, "Who approves vacation?");
        await a.StoreAsync(scope, v, Answer(scope, "Who approves vacation?", "Your manager.", Doc), CancellationToken.None);
        RedisKey vectors = ((RedisSemanticCacheImpl)a).VectorsKey(EntryCodec.Hex(scope.Hash));
        await PoisonAsync(db, vectors);

        using IRedisSemanticCache b = RedisSemanticCache.Create(Options(cluster.ConnectionString, prefix));
        await b.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None);
        await WaitUntilAsync(() => db.KeyType(vectors) == RedisType.Hash && db.HashLength(vectors) == 1, "the vector hash is rebuilt", 5000);
        Assert.Equal("Your manager.", (await b.FindAsync(new SemanticQuery(scope, "q", v, 0.9f), CancellationToken.None))?.Answer.Text);

        (RedisKey lease, _) = ((RedisSingleFlight)b.SingleFlight).Keys(scope, "q");
        await db.StringSetAsync(lease, "no expiry");
        Assert.Null(await b.SingleFlight.WaitForAnswerAsync(scope, "q", CancellationToken.None));
        Assert.NotNull(await b.SingleFlight.TryAcquireAsync(scope, "q", CancellationToken.None));
    }
}
