using RagKit.Qdrant;
using RagKit.Retrieval;
using Xunit;

namespace RagKit.VectorStores.Tests;

public sealed class EmbeddedInMemoryStoreConformanceTests : VectorStoreConformanceTests
{
    protected override Task<IVectorStore> CreateStoreAsync() => Task.FromResult(EmbeddedVectorStore.InMemory());
}

public sealed class EmbeddedOnDiskStoreConformanceTests : VectorStoreConformanceTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragkit-conformance-" + Guid.NewGuid().ToString("N"));

    protected override Task<IVectorStore> CreateStoreAsync() => Task.FromResult(EmbeddedVectorStore.Open(Path.Combine(_dir, Guid.NewGuid().ToString("N"))));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}

/// <summary>One stand-in server for all tests of a class.</summary>
public sealed class StandInFixture : IAsyncLifetime
{
    public QdrantWireStandIn Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await QdrantWireStandIn.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class QdrantStandInConformanceTests(StandInFixture fixture) : VectorStoreConformanceTests, IClassFixture<StandInFixture>
{
    protected override Task<IVectorStore> CreateStoreAsync() => Task.FromResult(QdrantVectorStore.Create(new QdrantVectorStoreOptions
    {
        Endpoint = fixture.Server.Endpoint,
        CollectionPrefix = "t" + Guid.NewGuid().ToString("N")[..8] + "_",
    }));
}

[RequiresQdrantServer]
public sealed class QdrantServerConformanceTests : VectorStoreConformanceTests
{
    protected override Task<IVectorStore> CreateStoreAsync() => Task.FromResult(QdrantVectorStore.Create(new QdrantVectorStoreOptions
    {
        Endpoint = new Uri(RequiresQdrantServerAttribute.Endpoint!),
        ApiKey = Environment.GetEnvironmentVariable("RAGKIT_QDRANT_API_KEY"),
        CollectionPrefix = "ragkit_test_" + Guid.NewGuid().ToString("N")[..8] + "_",
    }));
}
