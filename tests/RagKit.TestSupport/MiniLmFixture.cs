using RagKit.Onnx;

namespace RagKit.TestSupport;

/// <summary>One real MiniLM embedder shared by a test class (loading the model takes about a second).</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Embedder { get; } = MiniLmEmbeddingGenerator.Create();

    public void Dispose() => Embedder.Dispose();
}
