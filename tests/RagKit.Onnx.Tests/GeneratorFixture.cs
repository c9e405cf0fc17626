namespace RagKit.Onnx.Tests;

/// <summary>One generator with default options shared by the tests of a class (loading the model takes a moment).</summary>
public sealed class GeneratorFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Generator { get; } = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });

    public void Dispose() => Generator.Dispose();
}
