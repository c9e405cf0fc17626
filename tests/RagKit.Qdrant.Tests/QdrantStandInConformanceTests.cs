using RagKit.Retrieval;

namespace RagKit.Qdrant.Tests;

/// <summary>The vector-store conformance suite against the Qdrant adapter talking to the in-process wire stand-in.</summary>
public sealed class QdrantStandInConformanceTests(StandInFixture fixture) : VectorStoreConformanceTests, IClassFixture<StandInFixture>
{
    protected override Task<IVectorStore> CreateStoreAsync() => Task.FromResult(QdrantVectorStore.Create(new QdrantVectorStoreOptions
    {
        Endpoint = fixture.Server.Endpoint,
        CollectionPrefix = "t" + Guid.NewGuid().ToString("N")[..8] + "_",
    }));
}
