using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace RagKit.Onnx.Tests;

/// <summary>An ILogger that records every entry, for asserting on warnings.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly List<(LogLevel Level, EventId EventId, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}

/// <summary>One generator with default options shared by the tests of a class (loading the model takes a moment).</summary>
public sealed class GeneratorFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Generator { get; } = MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions { CacheCapacity = 0 });

    public void Dispose() => Generator.Dispose();
}

internal static class Vectors
{
    public static float Cosine(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b)
    {
        ReadOnlySpan<float> x = a.Span, y = b.Span;
        double dot = 0, nx = 0, ny = 0;
        for (int i = 0; i < x.Length; i++)
        {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }

        return (float)(dot / Math.Sqrt(nx * ny));
    }

    public static double Norm(ReadOnlyMemory<float> a)
    {
        double sum = 0;
        foreach (float v in a.Span)
        {
            sum += v * v;
        }

        return Math.Sqrt(sum);
    }

    public static async Task<Embedding<float>> EmbedOneAsync(this IEmbeddingGenerator<string, Embedding<float>> generator, string text)
    {
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync([text]);
        return Assert.Single(result);
    }
}
