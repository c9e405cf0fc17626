using Microsoft.Extensions.AI;

namespace RagKit.Onnx.Tests;

public sealed class HalfPrecisionGraphTests(GeneratorFixture fixture) : IClassFixture<GeneratorFixture>
{
    // Padded batch of mixed lengths, up to the 256-token truncation.
    private static readonly string[] Texts =
    [
        "Short one.",
        "How do I cancel my order from last Tuesday?",
        "A somewhat longer sentence about how answer caches are invalidated when documents change.",
        string.Join(' ', Enumerable.Repeat("retrieval augmented generation with multi-tier answer caching", 40)),
    ];

    [Fact]
    public async Task The_fp16_graph_gives_the_fp32_embeddings_to_a_cosine_of_0_9999()
    {
        using MiniLmEmbeddingGenerator half = MiniLmEmbeddingGenerator.Create(
            new OnnxEmbeddingOptions { CacheCapacity = 0, HalfPrecisionOnCpu = true });

        GeneratedEmbeddings<Embedding<float>> full = await fixture.Generator.GenerateAsync(Texts);
        GeneratedEmbeddings<Embedding<float>> reduced = await half.GenerateAsync(Texts);

        for (int i = 0; i < Texts.Length; i++)
        {
            float cosine = Vectors.Cosine(full[i].Vector, reduced[i].Vector);
            Assert.True(cosine >= 0.9999f, $"text {i}: cosine {cosine}");

            // Not the same computation: a conversion that silently kept fp32 would pass the cosine check alone.
            Assert.False(full[i].Vector.Span.SequenceEqual(reduced[i].Vector.Span), $"text {i} was not computed in fp16");
        }
    }

    [Fact]
    public async Task The_cpu_provider_keeps_fp32_unless_told_otherwise()
    {
        // CudaHalfPrecision is on by default, but only applies on CUDA: on the CPU the embeddings are the fp32 ones.
        using MiniLmEmbeddingGenerator defaults = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });

        GeneratedEmbeddings<Embedding<float>> a = await fixture.Generator.GenerateAsync(Texts);
        GeneratedEmbeddings<Embedding<float>> b = await defaults.GenerateAsync(Texts);

        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.True(a[i].Vector.Span.SequenceEqual(b[i].Vector.Span), $"text {i}");
        }
    }
}
