using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace RagKit.Onnx.Tests;

public sealed class BehaviourTests
{
    private static string LongText(int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(i => i % 2 == 0 ? "cache" : "answer"));

    [Fact]
    public async Task Long_input_is_truncated_reported_and_logged()
    {
        var logger = new RecordingLogger();
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { MaxTokens = 256 }, logger);

        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync([LongText(2000), "short text"]);

        Embedding<float> truncated = result[0];
        Assert.NotNull(truncated.AdditionalProperties);
        Assert.Equal(true, truncated.AdditionalProperties[MiniLmEmbeddingGenerator.TruncatedProperty]);
        Assert.Equal(2002, truncated.AdditionalProperties[MiniLmEmbeddingGenerator.OriginalTokenCountProperty]);
        Assert.Equal(1.0, Vectors.Norm(truncated.Vector), 4);
        Assert.Null(result[1].AdditionalProperties);
        Assert.Equal(256 + 4, result.Usage?.InputTokenCount);

        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("2002", warning.Message, StringComparison.Ordinal);
        Assert.Contains("256", warning.Message, StringComparison.Ordinal);

        // A cache hit still reports the truncation (without logging again).
        Embedding<float> again = await generator.EmbedOneAsync(LongText(2000));
        Assert.Equal(true, again.AdditionalProperties?[MiniLmEmbeddingGenerator.TruncatedProperty]);
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Truncation_keeps_the_prefix()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { MaxTokens = 8, CacheCapacity = 0 });

        // [CLS] + 6 word tokens + [SEP] fit exactly; the rest is cut off.
        Embedding<float> exact = await generator.EmbedOneAsync("one two three four five six");
        Embedding<float> longer = await generator.EmbedOneAsync("one two three four five six seven eight nine ten");

        Assert.Null(exact.AdditionalProperties);
        Assert.Equal(12, longer.AdditionalProperties?[MiniLmEmbeddingGenerator.OriginalTokenCountProperty]);
        Assert.True(Vectors.Cosine(exact.Vector, longer.Vector) > 0.9999f);
    }

    [Fact]
    public async Task Cache_hit_skips_inference()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 2 });

        Embedding<float> first = await generator.EmbedOneAsync("How do I reset my password?");
        Assert.Equal(1, generator.InferenceCalls);
        Assert.Equal(0, generator.CacheHits);

        Embedding<float> second = await generator.EmbedOneAsync("How do I reset my password?");
        Assert.Equal(1, generator.InferenceCalls);
        Assert.Equal(1, generator.CacheHits);
        Assert.Equal(first.Vector.ToArray(), second.Vector.ToArray());

        // Key is the exact text: a different casing is a miss.
        await generator.EmbedOneAsync("how do I reset my password?");
        Assert.Equal(2, generator.InferenceCalls);

        // Capacity 2, least recently used goes first: touch the first text, add a third, and the
        // lower-case variant (now the least recently used) is evicted while the first text stays.
        await generator.EmbedOneAsync("How do I reset my password?");
        await generator.EmbedOneAsync("third text");
        Assert.Equal(3, generator.InferenceCalls);
        await generator.EmbedOneAsync("How do I reset my password?");
        Assert.Equal(3, generator.InferenceCalls);
        await generator.EmbedOneAsync("how do I reset my password?");
        Assert.Equal(4, generator.InferenceCalls);
    }

    [Fact]
    public async Task Cache_capacity_zero_turns_the_cache_off()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });

        await generator.EmbedOneAsync("repeat");
        await generator.EmbedOneAsync("repeat");

        Assert.Equal(2, generator.InferenceCalls);
        Assert.Equal(0, generator.CacheHits);
    }

    [Fact]
    public async Task Cuda_fallback_logs_one_warning_and_still_embeds_correctly()
    {
        var logger = new RecordingLogger();
        using MiniLmEmbeddingGenerator cpu = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(
            new OnnxEmbeddingOptions { UseCuda = true, CudaDeviceId = 0, CacheCapacity = 0 }, logger);

        Assert.False(generator.UsesCuda);
        Assert.False(generator.UsesCudaGraph); // recorded only on CUDA; the fallback runs every text on the CPU session
        for (int i = 0; i < 3; i++)
        {
            Embedding<float> viaFallback = await generator.EmbedOneAsync("How do I reset my password?");
            Embedding<float> viaCpu = await cpu.EmbedOneAsync("How do I reset my password?");
            Assert.True(Vectors.Cosine(viaFallback.Vector, viaCpu.Vector) > 0.9999f);
        }

        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("CUDA", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_single_calls_are_correct_and_coalesced()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });
        string[] texts = [.. Enumerable.Range(0, 24).Select(i => $"question number {i} about caching")];
        GeneratedEmbeddings<Embedding<float>> expected = await generator.GenerateAsync(texts);
        long callsBefore = generator.InferenceCalls;

        Embedding<float>[] results = await Task.WhenAll(texts.Select(t => Task.Run(() => generator.EmbedOneAsync(t))));

        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(Vectors.Cosine(expected[i].Vector, results[i].Vector) > 0.9999f, $"text {i}");
        }

        Assert.Equal(texts.Length, generator.TextsInferred - texts.Length);
        Assert.True(generator.InferenceCalls - callsBefore <= texts.Length);
    }

    [Fact]
    public async Task Null_or_empty_input_throws_argument_exception_naming_the_parameter()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create();

        ArgumentException nullList = await Assert.ThrowsAnyAsync<ArgumentException>(() => generator.GenerateAsync(null!));
        Assert.Equal("values", nullList.ParamName);

        ArgumentException empty = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([]));
        Assert.Equal("values", empty.ParamName);

        ArgumentException nullItem = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["ok", null!]));
        Assert.Equal("values", nullItem.ParamName);

        var wrongDimensions = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => generator.GenerateAsync(["ok"], new EmbeddingGenerationOptions { Dimensions = 768 }));
        Assert.Equal("options", wrongDimensions.ParamName);
    }

    [Theory]
    [InlineData(nameof(OnnxEmbeddingOptions.MaxTokens))]
    [InlineData(nameof(OnnxEmbeddingOptions.BatchSize))]
    [InlineData(nameof(OnnxEmbeddingOptions.IntraOpThreads))]
    [InlineData(nameof(OnnxEmbeddingOptions.CacheCapacity))]
    [InlineData(nameof(OnnxEmbeddingOptions.CudaDeviceId))]
    public void Invalid_options_throw_naming_the_setting(string setting)
    {
        var options = new OnnxEmbeddingOptions();
        switch (setting)
        {
            case nameof(OnnxEmbeddingOptions.MaxTokens): options.MaxTokens = 513; break;
            case nameof(OnnxEmbeddingOptions.BatchSize): options.BatchSize = 0; break;
            case nameof(OnnxEmbeddingOptions.IntraOpThreads): options.IntraOpThreads = -1; break;
            case nameof(OnnxEmbeddingOptions.CacheCapacity): options.CacheCapacity = -1; break;
            case nameof(OnnxEmbeddingOptions.CudaDeviceId): options.CudaDeviceId = -1; break;
        }

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmEmbeddingGenerator.Create(options));
        Assert.Equal(setting, ex.ParamName);
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["a", "b"], cancellationToken: cts.Token));
        Assert.Equal(0, generator.InferenceCalls);
    }

    [Fact]
    public async Task Calls_after_dispose_throw()
    {
        MiniLmEmbeddingGenerator generator = MiniLmEmbeddingGenerator.Create();
        generator.Dispose();
        generator.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["a"]));
    }
}
