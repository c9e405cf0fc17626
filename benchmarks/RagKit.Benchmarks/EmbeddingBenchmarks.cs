using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using RagKit.Onnx;

namespace RagKit.Benchmarks;

/// <summary>
/// all-MiniLM-L6-v2 on ONNX Runtime (CPU): one query embedding with the embedding cache off, and one batch of 32
/// document-sized texts.
/// </summary>
[MemoryDiagnoser]
public class EmbeddingBenchmarks
{
    private const string Query = "How do I reset my password if I no longer have access to my email?";

    private MiniLmEmbeddingGenerator _generator = null!;
    private string[] _batch = [];

    [GlobalSetup]
    public void Setup()
    {
        _generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0, BatchSize = 32 });
        _batch = [.. Enumerable.Range(0, 32).Select(i =>
            $"Chunk {i}: RagKit caches answers in tiers so that repeated and paraphrased questions are answered " +
            $"without running retrieval or generation again; entry {i} covers topic number {i * 7 % 13}.")];

        // Load and warm the session outside the measurement.
        _generator.GenerateAsync([Query]).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _generator.Dispose();

    /// <summary>Latency of embedding one query (cache off, so every call runs the model).</summary>
    [Benchmark(Baseline = true)]
    public async Task<ReadOnlyMemory<float>> SingleQuery()
    {
        GeneratedEmbeddings<Embedding<float>> result = await _generator.GenerateAsync([Query]).ConfigureAwait(false);
        return result[0].Vector;
    }

    /// <summary>One session call embedding 32 texts.</summary>
    [Benchmark(OperationsPerInvoke = 32)]
    public async Task<int> Batch32()
    {
        GeneratedEmbeddings<Embedding<float>> result = await _generator.GenerateAsync(_batch).ConfigureAwait(false);
        return result.Count;
    }
}
