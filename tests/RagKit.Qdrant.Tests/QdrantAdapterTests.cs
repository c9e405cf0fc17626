using System.Net;
using System.Net.Sockets;
using Qdrant.Client.Grpc;
using RagKit.Caching;
using RagKit.Qdrant;
using RagKit.Retrieval;
using Xunit;

namespace RagKit.Qdrant.Tests;

/// <summary>Qdrant-specific behaviour: collections, indexes, point ids and clear errors for misconfiguration.</summary>
public sealed class QdrantAdapterTests(StandInFixture fixture) : IClassFixture<StandInFixture>
{
    private static StoredDocument Doc(string tenant, string collection, string id, int dims, int chunks = 1) =>
        new(new DocumentKey(tenant, collection, id), 7, [], Enumerable.Range(0, chunks).Select(i => new StoredChunk($"{id}#{i}", i, "text", Enumerable.Repeat(1f / MathF.Sqrt(dims), dims).ToArray())).ToArray());

    private QdrantVectorStoreOptions Options(string prefix) => new() { Endpoint = fixture.Server.Endpoint, CollectionPrefix = prefix };

    [Fact]
    public async Task First_write_creates_one_cosine_collection_per_collection_and_model_version_with_payload_indexes()
    {
        IVectorStore store = QdrantVectorStore.Create(Options("first_"));
        await store.UpsertAsync([Doc("t1", "handbook", "a", 4), Doc("t2", "handbook", "b", 4, chunks: 3)], default);

        QdrantWireStandIn.StandInCollection c = Assert.Single(fixture.Server.State.Collections, kv => kv.Key.StartsWith("first_", StringComparison.Ordinal)).Value;
        Assert.Equal(4UL, c.Size);
        Assert.Equal(4, c.Points.Count); // tenants share the collection; separated by payload
        Assert.Superset(new HashSet<string> { "tenant", "groups", "doc_id" }, c.IndexedFields.Keys.ToHashSet());
        string name = Assert.Single(fixture.Server.State.Collections.Keys, k => k.StartsWith("first_", StringComparison.Ordinal));
        Assert.StartsWith("first_handbook_", name, StringComparison.Ordinal);
        Assert.EndsWith("__v1", name, StringComparison.Ordinal);

        IVectorStore v2 = QdrantVectorStore.Create(new QdrantVectorStoreOptions { Endpoint = fixture.Server.Endpoint, CollectionPrefix = "first_", EmbeddingModelVersion = "minilm-2" });
        await v2.UpsertAsync([Doc("t1", "handbook", "a", 8)], default);
        Assert.Equal(2, fixture.Server.State.Collections.Keys.Count(k => k.StartsWith("first_", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Point_ids_are_deterministic_so_reingesting_overwrites_instead_of_duplicating()
    {
        IVectorStore store = QdrantVectorStore.Create(Options("ids_"));
        await store.UpsertAsync([Doc("t", "c", "a", 4, chunks: 2)], default);
        await store.UpsertAsync([Doc("t", "c", "a", 4, chunks: 2)], default);

        var points = fixture.Server.State.Collections.Single(kv => kv.Key.StartsWith("ids_", StringComparison.Ordinal)).Value.Points;
        Assert.Equal(2, points.Count);
        Assert.Contains(QdrantVectorStoreCore.PointId(new DocumentKey("t", "c", "a"), 1).ToString(), points.Keys);
        Assert.NotEqual(QdrantVectorStoreCore.PointId(new DocumentKey("t", "c", "a"), 0), QdrantVectorStoreCore.PointId(new DocumentKey("u", "c", "a"), 0));
    }

    [Fact]
    public async Task A_collection_with_another_vector_size_is_reported_naming_the_model_version_setting()
    {
        IVectorStore first = QdrantVectorStore.Create(Options("size_"));
        await first.UpsertAsync([Doc("t", "c", "a", 4)], default);

        // Another process, another model, same settings: a fresh store instance that has to read the size from the server.
        IVectorStore second = QdrantVectorStore.Create(Options("size_"));
        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await second.UpsertAsync([Doc("t", "c", "b", 6)], default));
        Assert.Contains("EmbeddingModelVersion", ex.Message, StringComparison.Ordinal);
        ArgumentException search = await Assert.ThrowsAsync<ArgumentException>(async () => await second.SearchAsync(new float[6], new VectorQuery(new RagScope("t", "c"), 3), default));
        Assert.Contains("EmbeddingModelVersion", search.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_collection_is_an_error_naming_CreateCollections_when_creation_is_off()
    {
        var options = Options("missing_");
        options.CreateCollections = false;
        IVectorStore store = QdrantVectorStore.Create(options);

        InvalidOperationException write = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.UpsertAsync([Doc("t", "c", "a", 4)], default));
        Assert.Contains("CreateCollections", write.Message, StringComparison.Ordinal);
        InvalidOperationException read = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.SearchAsync(new float[4], new VectorQuery(new RagScope("t", "c"), 3), default));
        Assert.Contains("CreateCollections", read.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Server.State.Collections.Keys, k => k.StartsWith("missing_", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ftp://localhost:6334", "Endpoint")]
    [InlineData("localhost:6334", "Endpoint")]
    public void A_bad_endpoint_is_rejected_naming_the_setting(string endpoint, string setting)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => QdrantVectorStore.Create(new QdrantVectorStoreOptions { Endpoint = new Uri(endpoint, UriKind.RelativeOrAbsolute) }));
        Assert.Contains("QdrantVectorStoreOptions." + setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_settings_are_rejected_naming_the_setting()
    {
        Assert.Contains("CollectionPrefix", Assert.Throws<ArgumentException>(() => QdrantVectorStore.Create(new QdrantVectorStoreOptions { CollectionPrefix = "has space" })).Message, StringComparison.Ordinal);
        Assert.Contains("MaxRetries", Assert.Throws<ArgumentException>(() => QdrantVectorStore.Create(new QdrantVectorStoreOptions { MaxRetries = -1 })).Message, StringComparison.Ordinal);
        Assert.Contains("Timeout", Assert.Throws<ArgumentException>(() => QdrantVectorStore.Create(new QdrantVectorStoreOptions { Timeout = TimeSpan.Zero })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_fails_after_the_configured_retries_naming_the_endpoint_setting()
    {
        // A port nobody listens on: bind and release it.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        IVectorStore store = QdrantVectorStore.Create(new QdrantVectorStoreOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{port}"),
            MaxRetries = 2,
            InitialRetryDelay = TimeSpan.FromMilliseconds(1),
            Timeout = TimeSpan.FromSeconds(2),
        });

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.SearchAsync(new float[4], new VectorQuery(new RagScope("t"), 3), default));
        Assert.Contains("after 3 attempts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("QdrantVectorStoreOptions.Endpoint", ex.Message, StringComparison.Ordinal);
        Assert.IsType<Grpc.Core.RpcException>(ex.InnerException);
    }

    [Fact]
    public void The_scope_filter_requires_tenant_and_collection_and_any_group_or_none()
    {
        Filter f = QdrantVectorStoreCore.ScopeFilter(new RagScope("acme", "hr", ["staff", "managers"]));

        Assert.Equal(3, f.Must.Count);
        Assert.Equal("acme", f.Must[0].Field.Match.Keyword);
        Assert.Equal("hr", f.Must[1].Field.Match.Keyword);
        Filter groups = f.Must[2].Filter;
        Assert.Equal(2, groups.Should.Count);
    }
}
