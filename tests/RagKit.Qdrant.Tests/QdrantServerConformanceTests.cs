using RagKit.Retrieval;

namespace RagKit.Qdrant.Tests;

/// <summary>The vector-store conformance suite against a real Qdrant server (skipped unless one is configured).</summary>
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
