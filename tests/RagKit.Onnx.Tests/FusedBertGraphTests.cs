using Microsoft.Extensions.AI;

namespace RagKit.Onnx.Tests;

public sealed class FusedBertGraphTests(GeneratorFixture fixture) : IClassFixture<GeneratorFixture>
{
    // Mixed lengths in one batch (padding on the right), up to the 256-token truncation.
    private static readonly string[] Texts =
    [
        "Short one.",
        "How do I cancel my order from last Tuesday?",
        "A somewhat longer sentence about how answer caches are invalidated when documents change.",
        string.Join(' ', Enumerable.Repeat("retrieval augmented generation with multi-tier answer caching", 40)),
    ];

    [Fact]
    public async Task The_fused_graph_gives_the_exported_graphs_embeddings()
    {
        using MiniLmEmbeddingGenerator exported = MiniLmEmbeddingGenerator.Create(
            new OnnxEmbeddingOptions { CacheCapacity = 0, FuseGraph = false });

        GeneratedEmbeddings<Embedding<float>> fused = await fixture.Generator.GenerateAsync(Texts);
        GeneratedEmbeddings<Embedding<float>> reference = await exported.GenerateAsync(Texts);

        for (int i = 0; i < Texts.Length; i++)
        {
            ReadOnlySpan<float> a = fused[i].Vector.Span, b = reference[i].Vector.Span;
            for (int d = 0; d < a.Length; d++)
            {
                Assert.True(Math.Abs(a[d] - b[d]) < 1e-5f, $"text {i} dim {d}: {a[d]} vs {b[d]}");
            }

            Assert.True(Vectors.Cosine(fused[i].Vector, reference[i].Vector) > 0.999999f, $"text {i}");
        }
    }

    [Fact]
    public async Task A_text_embeds_the_same_alone_and_padded_in_a_batch()
    {
        // The fused attention masks padding by each row's length: a short text padded to a long neighbour's length
        // must come out as it does alone.
        GeneratedEmbeddings<Embedding<float>> batch = await fixture.Generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Embedding<float> alone = (await fixture.Generator.GenerateAsync([Texts[i]]))[0];
            Assert.True(Vectors.Cosine(alone.Vector, batch[i].Vector) > 0.999999f, $"text {i}");
        }
    }
}
