using Microsoft.Extensions.AI;

namespace RagKit.Onnx.Tests;

/// <summary>Vector arithmetic for the assertions.</summary>
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
