using RagKit.Retrieval;

namespace RagKit.Tests.Retrieval;

/// <summary>The vector-store conformance suite against the embedded store on disk.</summary>
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
