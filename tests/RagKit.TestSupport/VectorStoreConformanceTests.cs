using RagKit.Caching;
using RagKit.Retrieval;
using Xunit;

namespace RagKit.TestSupport;

/// <summary>
/// The conformance suite: the same behaviour asserted of every <see cref="IVectorStore"/>. A store joins by deriving
/// a class that creates it.
/// </summary>
public abstract class VectorStoreConformanceTests : IAsyncLifetime
{
    private const int Dims = 8;
    private readonly List<IVectorStore> _stores = [];

    // Unique names per test, so that tests sharing a real server never see each other's data.
    private readonly string _tenant = "t-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _collection = "docs-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Creates an empty store (or one whose data no other test shares).</summary>
    protected abstract Task<IVectorStore> CreateStoreAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync()
    {
        foreach (IVectorStore s in _stores)
        {
            (s as IDisposable)?.Dispose();
        }

        return Task.CompletedTask;
    }

    private async Task<IVectorStore> StoreAsync()
    {
        IVectorStore s = await CreateStoreAsync();
        _stores.Add(s);
        return s;
    }

    private RagScope Scope(params string[] groups) => new(_tenant, _collection, groups);

    private DocumentKey Key(string id, string? tenant = null, string? collection = null) => new(tenant ?? _tenant, collection ?? _collection, id);

    /// <summary>A unit vector along axis <paramref name="axis"/>, tilted towards <paramref name="tilt"/> by <paramref name="amount"/>.</summary>
    private static float[] Vec(int axis, int tilt = 0, float amount = 0f)
    {
        var v = new float[Dims];
        v[axis] = 1f;
        v[tilt] += amount;
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / n).ToArray();
    }

    private static StoredDocument Doc(DocumentKey key, ulong hash, string[] groups, params float[][] vectors) =>
        new(key, hash, groups, vectors.Select((v, i) => new StoredChunk($"{key.DocumentId}#{i}", i, $"{key.DocumentId} chunk {i}", v)).ToArray(), "Title of " + key.DocumentId);

    private static float Cosine(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    [ConformanceFact]
    public async Task Search_returns_chunks_best_first_with_cosine_scores_and_all_fields()
    {
        IVectorStore store = await StoreAsync();
        float[] a = Vec(0), b = Vec(0, 1, 0.5f), c = Vec(0, 1, 2f), far = Vec(3);
        await store.UpsertAsync([Doc(Key("a"), 11, [], a), Doc(Key("b"), 22, [], b, far), Doc(Key("c"), 33, [], c)], default);

        float[] q = Vec(0, 1, 0.1f);
        IReadOnlyList<ChunkMatch> hits = await store.SearchAsync(q, new VectorQuery(Scope(), 3), default);

        Assert.Equal(["a", "b", "c"], hits.Select(h => h.Document.DocumentId));
        Assert.Equal(Cosine(q, a), hits[0].Score, 4);
        Assert.Equal(Cosine(q, b), hits[1].Score, 4);
        Assert.Equal(Cosine(q, c), hits[2].Score, 4);
        ChunkMatch first = hits[0];
        Assert.Equal(Key("a"), first.Document);
        Assert.Equal("a#0", first.ChunkId);
        Assert.Equal("a chunk 0", first.Text);
        Assert.Equal(11UL, first.DocumentHash);
        Assert.Equal("Title of a", first.Title);
    }

    [ConformanceFact]
    public async Task TopK_and_MinScore_limit_the_results()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync([Doc(Key("a"), 1, [], Vec(0)), Doc(Key("b"), 2, [], Vec(0, 1, 1f)), Doc(Key("c"), 3, [], Vec(1))], default);

        IReadOnlyList<ChunkMatch> top1 = await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 1), default);
        Assert.Equal("a", Assert.Single(top1).Document.DocumentId);

        // cos(a)=1, cos(b)=0.707, cos(c)=0: a MinScore of 0.5 keeps a and b only.
        IReadOnlyList<ChunkMatch> above = await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 10, 0.5f), default);
        Assert.Equal(["a", "b"], above.Select(h => h.Document.DocumentId));
    }

    [ConformanceFact]
    public async Task Search_is_scoped_to_tenant_and_collection()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync(
        [
            Doc(Key("mine"), 1, [], Vec(0, 1, 0.3f)),
            Doc(Key("other-tenant", tenant: _tenant + "-x"), 2, [], Vec(0)),
            Doc(Key("other-collection", collection: _collection + "-x"), 3, [], Vec(0)),
        ], default);

        IReadOnlyList<ChunkMatch> hits = await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 10), default);
        Assert.Equal("mine", Assert.Single(hits).Document.DocumentId);

        IReadOnlyList<ChunkMatch> other = await store.SearchAsync(Vec(0), new VectorQuery(new RagScope(_tenant + "-x", _collection), 10), default);
        Assert.Equal("other-tenant", Assert.Single(other).Document.DocumentId);
    }

    [ConformanceFact]
    public async Task Access_groups_filter_documents_any_of_and_public_documents_are_visible_to_all()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync(
        [
            Doc(Key("public"), 1, [], Vec(0)),
            Doc(Key("hr"), 2, ["hr"], Vec(0, 1, 0.1f)),
            Doc(Key("hr-finance"), 3, ["hr", "finance"], Vec(0, 1, 0.2f)),
            Doc(Key("legal"), 4, ["legal"], Vec(0, 1, 0.3f)),
        ], default);

        async Task<string[]> Visible(params string[] groups) =>
            (await store.SearchAsync(Vec(0), new VectorQuery(Scope(groups), 10), default)).Select(h => h.Document.DocumentId).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["public"], await Visible());
        Assert.Equal(["hr", "hr-finance", "public"], await Visible("hr"));
        Assert.Equal(["hr-finance", "public"], await Visible("finance"));
        Assert.Equal(["hr-finance", "legal", "public"], await Visible("finance", "legal"));
    }

    [ConformanceFact]
    public async Task Reupsert_replaces_all_chunks_of_the_document()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync([Doc(Key("a"), 1, [], Vec(0), Vec(1), Vec(2))], default);
        await store.UpsertAsync([Doc(Key("a"), 2, ["hr"], Vec(3))], default);

        IReadOnlyList<ChunkMatch> old = await store.SearchAsync(Vec(1), new VectorQuery(Scope("hr"), 10, 0.5f), default);
        Assert.Empty(old);
        IReadOnlyList<ChunkMatch> all = await store.SearchAsync(Vec(3), new VectorQuery(Scope("hr"), 10), default);
        ChunkMatch only = Assert.Single(all);
        Assert.Equal(2UL, only.DocumentHash);
        Assert.Equal("a#0", only.ChunkId);

        DocumentInfo? info = await store.GetDocumentAsync(Key("a"), default);
        Assert.NotNull(info);
        Assert.Equal(2UL, info.ContentHash);
        Assert.Equal(1, info.ChunkCount);
        Assert.Equal(["hr"], info.AccessGroups);

        // The new version is no longer public.
        Assert.Empty(await store.SearchAsync(Vec(3), new VectorQuery(Scope(), 10), default));
    }

    [ConformanceFact]
    public async Task Delete_removes_documents_and_counts_only_those_that_existed()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync([Doc(Key("a"), 1, [], Vec(0), Vec(1)), Doc(Key("b"), 2, [], Vec(0, 1, 0.2f))], default);

        int removed = await store.DeleteAsync([Key("a"), Key("never-there"), Key("b", tenant: _tenant + "-x")], default);

        Assert.Equal(1, removed);
        Assert.Null(await store.GetDocumentAsync(Key("a"), default));
        Assert.NotNull(await store.GetDocumentAsync(Key("b"), default));
        IReadOnlyList<ChunkMatch> hits = await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 10), default);
        Assert.Equal("b", Assert.Single(hits).Document.DocumentId);
        Assert.Equal(0, await store.DeleteAsync([Key("a")], default));
    }

    [ConformanceFact]
    public async Task GetDocument_reports_hash_groups_and_chunk_count()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync([Doc(Key("a"), 0xFEDCBA9876543210UL, ["g1", "g2"], Vec(0), Vec(1), Vec(2))], default);

        DocumentInfo? info = await store.GetDocumentAsync(Key("a"), default);

        Assert.NotNull(info);
        Assert.Equal(Key("a"), info.Key);
        Assert.Equal(0xFEDCBA9876543210UL, info.ContentHash);
        Assert.Equal(["g1", "g2"], info.AccessGroups.Order(StringComparer.Ordinal));
        Assert.Equal(3, info.ChunkCount);
        Assert.Null(await store.GetDocumentAsync(Key("a", tenant: _tenant + "-x"), default));
    }

    [ConformanceFact]
    public async Task Empty_store_and_empty_input_are_not_errors()
    {
        IVectorStore store = await StoreAsync();

        Assert.Empty(await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 5), default));
        Assert.Null(await store.GetDocumentAsync(Key("nothing"), default));
        await store.UpsertAsync([], default);
        Assert.Equal(0, await store.DeleteAsync([], default));
        Assert.Equal(0, await store.DeleteAsync([Key("nothing")], default));
        Assert.Empty(await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 5), default));
    }

    [ConformanceFact]
    public async Task Bad_input_is_rejected_with_ArgumentException()
    {
        IVectorStore store = await StoreAsync();
        await store.UpsertAsync([Doc(Key("a"), 1, [], Vec(0))], default);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 0), default));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SearchAsync(ReadOnlyMemory<float>.Empty, new VectorQuery(Scope(), 3), default));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.SearchAsync(new float[Dims + 1], new VectorQuery(Scope(), 3), default));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.UpsertAsync(null!, default));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.UpsertAsync([Doc(Key("e"), 1, [], new[] { Array.Empty<float>() })], default));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await store.UpsertAsync([Doc(Key("w"), 1, [], new float[Dims + 3])], default));

        // Nothing of the rejected writes was stored.
        Assert.Null(await store.GetDocumentAsync(Key("w"), default));
        Assert.Equal("a", Assert.Single(await store.SearchAsync(Vec(0), new VectorQuery(Scope(), 10), default)).Document.DocumentId);
    }
}
