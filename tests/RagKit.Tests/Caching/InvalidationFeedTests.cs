using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Tests.Caching;

/// <summary>The pipeline's side of a shared invalidation feed: the confirmed-feed gate, versions from events, publish-before-write.</summary>
public sealed class InvalidationFeedTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Scope = new("acme");
    private const string Question = "How long does standard shipping take?";

    private IRagPipeline Build(StubFeed feed, IVectorStore store) => new RagPipelineBuilder()
        .UseEmbeddingGenerator(fixture.Embedder)
        .UseChatClient(new CountingChatClient { Delay = TimeSpan.Zero })
        .UseVectorStore(store)
        .AddSemanticCache(feed)
        .Build();

    [Fact]
    public async Task A_feed_that_is_not_caught_up_bypasses_every_cached_tier_until_it_is_again()
    {
        var feed = new StubFeed();
        using IRagPipeline rag = Build(feed, EmbeddedVectorStore.InMemory());
        await rag.IngestAsync(Scope, Corpus.Documents);
        var ask = new AskOptions(Scope);
        await rag.AskAsync(Question, ask);
        Assert.Equal(AnswerTier.Exact, (await rag.AskAsync(Question, ask)).Tier);

        feed.CaughtUp = false;
        (int lookups, int stores) = (feed.Lookups, feed.Stores);
        RagAnswer bypassed = await rag.AskAsync(Question, ask);
        Assert.Equal(AnswerTier.Generated, bypassed.Tier);
        Assert.Contains(RagPipeline.UnconfirmedTier, bypassed.Report.SkippedTiers);
        Assert.Equal(lookups, feed.Lookups); // not even the shared tier was read
        Assert.Equal(stores, feed.Stores);   // nor written

        feed.CaughtUp = true;
        Assert.Equal(AnswerTier.Exact, (await rag.AskAsync(Question, ask)).Tier); // the bypass is not permanent
    }

    [Fact]
    public async Task A_version_event_stops_old_answers_and_answers_on_the_new_version_are_cached_again()
    {
        var feed = new StubFeed();
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using IRagPipeline rag = Build(feed, store);
        await rag.IngestAsync(Scope, Corpus.Documents);
        var ask = new AskOptions(Scope);
        await rag.AskAsync(Question, ask);
        Assert.Equal(AnswerTier.Exact, (await rag.AskAsync(Question, ask)).Tier);

        // Another instance marks every document as changing, then writes the shared store and commits the new versions.
        DocumentKey[] keys = Corpus.Documents.Select(d => new DocumentKey("acme", "default", d.Id)).ToArray();
        feed.Raise(keys.Select(k => new DocumentVersion(k, DocumentVersion.Changing) { ChangingUntil = DateTimeOffset.UtcNow.AddMinutes(1) }).ToArray());
        Assert.NotEqual(AnswerTier.Exact, (await rag.AskAsync(Question, ask)).Tier);
        Assert.NotEqual(AnswerTier.Exact, (await rag.AskAsync(Question, ask)).Tier); // changing: not cached either

        RagDocument[] changed = Corpus.Documents.Select(d => new RagDocument(d.Id, d.Text + " Updated.")).ToArray();
        using IRagPipeline writer = new RagPipelineBuilder().UseEmbeddingGenerator(fixture.Embedder).UseVectorStore(store).Build();
        await writer.IngestAsync(Scope, changed);
        var versions = new List<DocumentVersion>();
        foreach (DocumentKey k in keys)
        {
            versions.Add(new DocumentVersion(k, (await store.GetDocumentAsync(k, CancellationToken.None))!.ContentHash));
        }

        feed.Raise(versions);
        Assert.Equal(AnswerTier.Generated, (await rag.AskAsync(Question, ask)).Tier);
        Assert.Equal(AnswerTier.Exact, (await rag.AskAsync(Question, ask)).Tier);
    }

    [Fact]
    public async Task An_ingest_whose_change_cannot_be_published_fails_before_writing_anything()
    {
        var feed = new StubFeed { FailPublish = true };
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using IRagPipeline rag = Build(feed, store);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => rag.IngestAsync(Scope, Corpus.Documents));
        Assert.Contains("consistency over availability", ex.Message, StringComparison.Ordinal);
        Assert.Null(await store.GetDocumentAsync(new DocumentKey("acme", "default", Corpus.Documents[0].Id), CancellationToken.None));
    }

    /// <summary>A shared tier that never hits, counts calls, and carries versions the test raises.</summary>
    private sealed class StubFeed : ISemanticAnswerCache, IDocumentInvalidationFeed
    {
        public event EventHandler<DocumentsInvalidatedEventArgs>? DocumentsInvalidated;

        public volatile bool CaughtUp = true;

        public bool FailPublish { get; init; }

        public int Lookups { get; private set; }

        public int Stores { get; private set; }

        public string Name => "stub";

        public bool IsCaughtUp => CaughtUp;

        public void Raise(IReadOnlyList<DocumentVersion> versions) => DocumentsInvalidated?.Invoke(this, new DocumentsInvalidatedEventArgs(versions));

        public ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken)
        {
            Lookups++;
            return ValueTask.FromResult<SemanticCacheHit?>(null);
        }

        public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
        {
            Stores++;
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask PublishChangingAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) =>
            FailPublish ? throw new TimeoutException("unreachable (injected)") : ValueTask.CompletedTask;

        public ValueTask PublishVersionsAsync(IReadOnlyList<DocumentVersion> versions, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
