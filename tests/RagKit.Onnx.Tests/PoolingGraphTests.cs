using Microsoft.Extensions.AI;

namespace RagKit.Onnx.Tests;

public sealed class PoolingGraphTests(GeneratorFixture fixture) : IClassFixture<GeneratorFixture>
{
    // Lengths differ so the batch is padded: the graph must pool over the attention mask, not the padded sequence.
    private static readonly string[] Texts =
    [
        "Short one.",
        "A somewhat longer sentence about how answer caches are invalidated when documents change.",
        "Medium length text on vector search.",
        string.Join(' ', Enumerable.Repeat("retrieval augmented generation", 20)),
    ];

    private readonly MiniLmEmbeddingGenerator _generator = fixture.Generator;

    [Fact]
    public async Task Only_the_pooled_sentence_embeddings_leave_the_session()
    {
        long before = _generator.FloatsCopiedOut;

        await _generator.GenerateAsync(Texts);

        // One 384-float vector per text, not [texts × padded length × 384] token states to pool on the host.
        Assert.Equal(Texts.Length * MiniLmEmbeddingGenerator.Dimensions, _generator.FloatsCopiedOut - before);
    }

    [Fact]
    public async Task Pooling_in_the_graph_equals_pooling_on_the_host()
    {
        using MiniLmEmbeddingGenerator host = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0, PoolInGraph = false });

        GeneratedEmbeddings<Embedding<float>> inGraph = await _generator.GenerateAsync(Texts);
        GeneratedEmbeddings<Embedding<float>> onHost = await host.GenerateAsync(Texts);

        Assert.True(host.FloatsCopiedOut > Texts.Length * MiniLmEmbeddingGenerator.Dimensions, "the host path reads token states");
        for (int i = 0; i < Texts.Length; i++)
        {
            ReadOnlySpan<float> a = inGraph[i].Vector.Span, b = onHost[i].Vector.Span;
            for (int d = 0; d < a.Length; d++)
            {
                Assert.True(Math.Abs(a[d] - b[d]) < 1e-5f, $"text {i} dim {d}: {a[d]} vs {b[d]}");
            }

            Assert.True(Vectors.Cosine(inGraph[i].Vector, onHost[i].Vector) > 0.999999f, $"text {i}");
        }
    }
}
