using Microsoft.Extensions.AI;

namespace RagKit.Onnx.Tests;

public sealed class PipelineTests
{
    // 150 texts of varied length; batch 4 and chunks of 8 batches (32 texts) give 5 chunks, the last one short.
    private static readonly string[] Texts =
        [.. Enumerable.Range(0, 150).Select(i => string.Join(' ', Enumerable.Repeat($"token{i % 11}", 1 + (i * 5 % 17))) + $" number {i}")];

    [Fact]
    public async Task Pipelined_requests_give_the_same_embeddings_in_the_same_order_as_one_batch_at_a_time()
    {
        using MiniLmEmbeddingGenerator pipelined = MiniLmEmbeddingGenerator.Create(
            new OnnxEmbeddingOptions { BatchSize = 4, CacheCapacity = 0, PipelineBatches = true, CudaBatchesInFlight = 3 });
        using MiniLmEmbeddingGenerator sequential = MiniLmEmbeddingGenerator.Create(
            new OnnxEmbeddingOptions { BatchSize = 4, CacheCapacity = 0, HostParallelism = false });

        GeneratedEmbeddings<Embedding<float>> a = await pipelined.GenerateAsync(Texts);
        GeneratedEmbeddings<Embedding<float>> b = await sequential.GenerateAsync(Texts);

        Assert.Equal(Texts.Length, a.Count);
        Assert.Equal(b.Usage?.InputTokenCount, a.Usage?.InputTokenCount);
        Assert.Equal(Texts.Length, pipelined.TextsInferred);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.True(Vectors.Cosine(a[i].Vector, b[i].Vector) > 0.99999f, $"text {i}");
        }
    }
}
