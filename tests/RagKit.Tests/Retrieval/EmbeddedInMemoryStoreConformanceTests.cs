using RagKit.Retrieval;

namespace RagKit.Tests.Retrieval;

/// <summary>The vector-store conformance suite against the embedded store in memory.</summary>
public sealed class EmbeddedInMemoryStoreConformanceTests : VectorStoreConformanceTests
{
    protected override Task<IVectorStore> CreateStoreAsync() => Task.FromResult(EmbeddedVectorStore.InMemory());
}
