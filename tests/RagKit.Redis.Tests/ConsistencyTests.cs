using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Retrieval;
using StackExchange.Redis;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>
/// Staleness across instances (issue 13 A, and the invalidation keys of D): pipelines with their own in-process tiers
/// and Redis tier, sharing one real redis-server and one vector store, as a deployment does. Generated answers carry
/// the version markers of the sources they were built from, so a stale answer is visible in its text.
/// </summary>
[Collection("redis")]
public sealed partial class ConsistencyTests
{
    private const string Question = "How many vacation days do employees get per year?";
    private static readonly RagScope Acme = new("acme");
    private static readonly AskOptions Ask = new(Acme) { SemanticThreshold = 0.85f };
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(300);
    private readonly RedisFixture _f;

    public ConsistencyTests(RedisFixture fixture) => _f = fixture;

    private static RagDocument Vacation(int version) => new("vacation", $"Employees get {20 + version} vacation days per year. [ver:vacation:{version}]");

    private static readonly RagDocument[] Others =
    [
        new("expenses", "Travel expenses are reimbursed within 30 days after the receipt is submitted. [ver:expenses:1]"),
        new("security", "Laptops must use full disk encryption and lock the screen after five minutes. [ver:security:1]"),
    ];

    private IRagPipeline Build(IRedisSemanticCache cache, IVectorStore store, IChatClient chat, IEmbeddingGenerator<string, Embedding<float>>? embedder = null)
        => new RagPipelineBuilder()
            .UseEmbeddingGenerator(embedder ?? _f.Embedder)
            .UseChatClient(chat)
            .UseVectorStore(store)
            .AddRedisSemanticCache(cache)
            .Configure(o => o.TierTimeout = TimeSpan.FromSeconds(2))
            .Build();

    private static RedisSemanticCacheOptions WindowOptions(string endpoint, string prefix)
    {
        RedisSemanticCacheOptions o = Options(endpoint, prefix);
        o.FreshnessWindow = Window;
        o.ChangeMarkLifetime = TimeSpan.FromSeconds(1);
        o.PublishTimeout = TimeSpan.FromMilliseconds(500);
        return o;
    }

    private static void AssertNotStale(RagAnswer answer, string staleMarker) =>
        Assert.False(answer.Text.Contains(staleMarker, StringComparison.Ordinal), $"stale answer served ({answer.Tier}): {answer.Text}");

    [RedisFact]
    public async Task Caching_resumes_on_an_instance_after_another_instance_updated_the_document()
    {
        string prefix = Prefix();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat);
        using IRagPipeline b = Build(cacheB, store, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA, cacheB);
        Assert.Contains("[ver:vacation:1]", (await b.AskAsync(Question, Ask)).Text);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier);

        await a.IngestAsync(Acme, [Vacation(2)]);
        await SettleAsync(cacheB);

        RagAnswer rebuilt = await b.AskAsync(Question, Ask);
        Assert.Contains("[ver:vacation:2]", rebuilt.Text);
        AssertNotStale(rebuilt, "[ver:vacation:1]");
        RagAnswer again = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, again.Tier); // the version came with the invalidation: answers on it are cached again
        Assert.Contains("[ver:vacation:2]", again.Text);
    }

    [RedisFact]
    public async Task An_answer_generated_from_the_old_version_during_an_update_is_never_served_after_the_update_returned()
    {
        string prefix = Prefix();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat);
        using IRagPipeline b = Build(cacheB, store, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA, cacheB);

        // B is generating from version 1 while A ingests version 2; B finishes after A's update returned.
        Task<RagAnswer> inFlight = chat.HoldNext(() => b.AskAsync(Question, Ask).AsTask());
        await chat.Entered;
        await a.IngestAsync(Acme, [Vacation(2)]);
        chat.Release();
        Assert.Contains("[ver:vacation:1]", (await inFlight).Text); // in flight before the update returned: allowed

        // Neither B nor a fresh instance C serves it afterwards, from any tier.
        using IRedisSemanticCache cacheC = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline c = Build(cacheC, store, chat);
        await SettleAsync(cacheB, cacheC);
        AssertNotStale(await c.AskAsync(Question, Ask), "[ver:vacation:1]");
        AssertNotStale(await c.AskAsync("How many vacation days does an employee get each year?", Ask), "[ver:vacation:1]");
        AssertNotStale(await b.AskAsync(Question, Ask), "[ver:vacation:1]");
    }

    [RedisFact]
    public async Task An_instance_cut_off_from_Redis_stops_serving_cached_answers_and_replays_what_it_missed()
    {
        string prefix = Prefix();
        using var proxy = new TcpProxy(_f.Server!.Port);
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(WindowOptions(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(WindowOptions(proxy.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat);
        using IRagPipeline b = Build(cacheB, store, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA, cacheB);
        await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier);

        proxy.Cut();
        await a.IngestAsync(Acme, [Vacation(2)]);
        await Task.Delay(Window + TimeSpan.FromMilliseconds(100));

        RagAnswer during = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Generated, during.Tier);
        Assert.Contains(RagPipeline.UnconfirmedTier, during.Report.SkippedTiers);
        AssertNotStale(during, "[ver:vacation:1]");

        proxy.Restore();
        await SettleAsync(cacheB);
        RagAnswer after = await b.AskAsync(Question, Ask);
        AssertNotStale(after, "[ver:vacation:1]");
        RagAnswer again = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, again.Tier);
        Assert.Contains("[ver:vacation:2]", again.Text);
    }

    [RedisFact]
    public async Task With_Redis_down_an_update_fails_before_writing_and_no_instance_serves_cached_answers()
    {
        using var server = new RedisServer();
        string prefix = Prefix();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(WindowOptions(server.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(WindowOptions(server.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat);
        using IRagPipeline b = Build(cacheB, store, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA, cacheB);
        await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier);

        server.Stop();
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.IngestAsync(Acme, [Vacation(2)]));
        Assert.Contains("[ver:vacation:1]", (await a.AskAsync(Question, new AskOptions(Acme) { UseCache = false })).Text); // nothing written
        await Task.Delay(Window + TimeSpan.FromMilliseconds(100));
        RagAnswer during = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Generated, during.Tier);
        Assert.Contains(RagPipeline.UnconfirmedTier, during.Report.SkippedTiers);

        server.Start();
        await SettleAsync(cacheA, cacheB);
        await a.IngestAsync(Acme, [Vacation(2)]);
        await SettleAsync(cacheB);
        AssertNotStale(await b.AskAsync(Question, Ask), "[ver:vacation:1]");
        RagAnswer again = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, again.Tier);
        Assert.Contains("[ver:vacation:2]", again.Text);
    }

    [RedisFact]
    public async Task An_updater_cut_off_after_writing_leaves_the_document_marked_changing_until_the_mark_expires()
    {
        string prefix = Prefix();
        using var proxy = new TcpProxy(_f.Server!.Port);
        IVectorStore shared = EmbeddedVectorStore.InMemory();
        var storeA = new HookedStore(shared);
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(WindowOptions(proxy.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(WindowOptions(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, storeA, chat);
        using IRagPipeline b = Build(cacheB, shared, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA, cacheB);
        await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier);

        // A is cut off from Redis after its change mark went out and while it writes the store: the commit cannot go out.
        storeA.OnUpsert = proxy.Cut;
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.IngestAsync(Acme, [Vacation(2)]));
        await SettleAsync(cacheB);

        RagAnswer marked = await b.AskAsync(Question, Ask);
        AssertNotStale(marked, "[ver:vacation:1]");
        Assert.NotEqual(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier); // changing: not cached either

        await Task.Delay(TimeSpan.FromSeconds(1.2)); // the mark expires; the version is learned from retrieval
        Assert.Contains("[ver:vacation:2]", (await b.AskAsync(Question, Ask)).Text);
        RagAnswer again = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, again.Tier);
        Assert.Contains("[ver:vacation:2]", again.Text);
    }

    [RedisFact]
    public async Task An_ingest_that_fails_part_way_invalidates_the_documents_it_wrote_everywhere()
    {
        string prefix = Prefix();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        var failing = new FailingEmbedder(_f.Embedder);
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat, failing);
        using IRagPipeline b = Build(cacheB, store, chat);
        RagDocument[] Batch(int version) =>
            [Vacation(version), .. Enumerable.Range(1, 19).Select(i => new RagDocument($"filler{i:00}", $"Cafeteria menu {i} lists dish number {i * 7}. [ver:filler{i:00}:{version}]"))];
        await a.IngestAsync(Acme, Batch(1));
        await SettleAsync(cacheA, cacheB);
        await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier);
        await a.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, (await a.AskAsync(Question, Ask)).Tier);

        failing.FailOn = "[ver:filler17:2]"; // the 18th of 20 documents; the first 16 were written in the first batch
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.IngestAsync(Acme, Batch(2)));
        await SettleAsync(cacheB);

        AssertNotStale(await b.AskAsync(Question, Ask), "[ver:vacation:1]");
        AssertNotStale(await a.AskAsync(Question, Ask), "[ver:vacation:1]");
    }

    [RedisFact]
    public async Task A_provenance_set_of_the_wrong_type_is_repaired_and_the_update_still_invalidates_everywhere()
    {
        string prefix = Prefix();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA);
        var implA = (RedisSemanticCacheImpl)cacheA;
        RedisKey provenance = implA.DocumentKeyOf(new DocumentKey("acme", "default", "vacation"));
        RagAnswer first = await a.AskAsync(Question, Ask);
        Assert.Contains("[ver:vacation:1]", first.Text);
        if (await implA.Database.KeyTypeAsync(provenance) != RedisType.Set)
        {
            // A loaded machine can make the pipeline skip the shared write (its budget): store the same answer directly.
            ScopeKey scope = Acme.GetKey(((RagPipeline)a).VersionStamp);
            var vacation = new DocumentKey("acme", "default", "vacation");
            ulong hash = (await store.GetDocumentAsync(vacation, CancellationToken.None))!.ContentHash;
            CachedAnswer made = Answer(scope, Question, first.Text, vacation);
            var answer = new CachedAnswer
            {
                Question = made.Question,
                ScopeId = made.ScopeId,
                Text = made.Text,
                Citations = made.Citations,
                Provenance = [new ProvenanceEntry(vacation, "vacation#0", hash)],
                CreatedAt = made.CreatedAt,
                ExpiresAt = made.ExpiresAt,
            };
            await cacheA.StoreAsync(scope, await EmbedAsync(_f.Embedder, Question), answer, CancellationToken.None);
        }

        Assert.Equal(RedisType.Set, await implA.Database.KeyTypeAsync(provenance));
        await implA.Database.StringSetAsync(provenance, "overwritten by someone else");

        await a.IngestAsync(Acme, [Vacation(2)]);
        Assert.True(implA.KeysRepaired >= 1);

        using IRedisSemanticCache cacheC = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline c = Build(cacheC, store, chat);
        await SettleAsync(cacheC);
        AssertNotStale(await c.AskAsync("How many vacation days does an employee get each year?", Ask), "[ver:vacation:1]");
        AssertNotStale(await c.AskAsync(Question, Ask), "[ver:vacation:1]");
        Assert.Equal(RedisType.Set, await implA.Database.KeyTypeAsync(provenance)); // answers on it are indexed again
    }

    [RedisFact]
    public async Task A_change_stream_of_the_wrong_type_is_repaired_and_every_instance_starts_over()
    {
        string prefix = Prefix();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using var chat = new VersionEchoChatClient();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, store, chat);
        using IRagPipeline b = Build(cacheB, store, chat);
        await a.IngestAsync(Acme, [Vacation(1), .. Others]);
        await SettleAsync(cacheA, cacheB);
        await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Question, Ask)).Tier);

        IDatabase db = ((RedisSemanticCacheImpl)cacheA).Database;
        await db.KeyDeleteAsync($"{prefix}:stream");
        await db.StringSetAsync($"{prefix}:stream", "overwritten by someone else");

        await a.IngestAsync(Acme, [Vacation(2)]);
        await SettleAsync(cacheB);
        Assert.True(((RedisSemanticCacheImpl)cacheB).FeedResets >= 1);
        AssertNotStale(await b.AskAsync(Question, Ask), "[ver:vacation:1]");
        RagAnswer again = await b.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Exact, again.Tier);
        Assert.Contains("[ver:vacation:2]", again.Text);
    }

    /// <summary>Answers with the version markers of the sources in its prompt; can hold one generation until released.</summary>
    private sealed partial class VersionEchoChatClient : IChatClient
    {
        private TaskCompletionSource? _entered;
        private TaskCompletionSource? _release;
        private TaskCompletionSource? _held;

        public Task Entered => _entered!.Task;

        public Task<T> HoldNext<T>(Func<Task<T>> ask)
        {
            _entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _release = _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return ask();
        }

        public void Release() => _held!.TrySetResult();

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            string prompt = messages.Last().Text;
            TaskCompletionSource? release = Interlocked.Exchange(ref _release, null);
            if (release is not null)
            {
                _entered!.TrySetResult();
                await release.Task.WaitAsync(cancellationToken);
            }

            string markers = string.Join(' ', Marker().Matches(prompt).Select(m => m.Value));
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"From the sources [1]: {markers}"));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        [GeneratedRegex(@"\[ver:[^\]]+\]")]
        private static partial Regex Marker();
    }

    /// <summary>The real embedder, throwing for any text that contains <see cref="FailOn"/>.</summary>
    private sealed class FailingEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public string? FailOn { get; set; }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            List<string> list = values.ToList();
            if (FailOn is { } marker && list.Any(v => v.Contains(marker, StringComparison.Ordinal)))
            {
                throw new InvalidOperationException("The embedder failed (injected).");
            }

            return inner.GenerateAsync(list, options, cancellationToken);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose()
        {
        }
    }

    /// <summary>A vector store that runs <see cref="OnUpsert"/> before each write (to cut the writer off mid-ingest).</summary>
    private sealed class HookedStore(IVectorStore inner) : IVectorStore
    {
        public Action? OnUpsert { get; set; }

        public ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken)
        {
            OnUpsert?.Invoke();
            return inner.UpsertAsync(documents, cancellationToken);
        }

        public ValueTask<int> DeleteAsync(IReadOnlyList<DocumentKey> documents, CancellationToken cancellationToken) => inner.DeleteAsync(documents, cancellationToken);

        public ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(ReadOnlyMemory<float> vector, VectorQuery query, CancellationToken cancellationToken) => inner.SearchAsync(vector, query, cancellationToken);

        public ValueTask<DocumentInfo?> GetDocumentAsync(DocumentKey key, CancellationToken cancellationToken) => inner.GetDocumentAsync(key, cancellationToken);
    }
}
