using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace RagKit.Internal;

/// <summary>
/// Checks what an embedding generator returned before it is stored or searched with: one vector per input, none
/// empty, NaN, infinite or all zero (cosine similarity is undefined for those, and a stored one would poison search).
/// A violation is the generator's fault, so the error names the generator and the text it was asked to embed.
/// </summary>
internal static class EmbeddingValidation
{
    /// <summary>Throws an <see cref="InvalidOperationException"/> unless there is one valid vector per input.</summary>
    public static void ThrowIfInvalid(GeneratedEmbeddings<Embedding<float>>? embeddings, int expectedCount, object generator, Func<int, string> describeInput)
    {
        int count = embeddings?.Count ?? 0;
        if (count != expectedCount)
        {
            throw new InvalidOperationException(
                $"The embedding generator {Name(generator)} returned {count} embeddings for {expectedCount} texts (first text: {describeInput(0)}).");
        }

        for (int i = 0; i < count; i++)
        {
            ThrowIfInvalid(embeddings![i]?.Vector ?? default, generator, describeInput, i);
        }
    }

    /// <summary>Throws an <see cref="InvalidOperationException"/> when the vector is empty, NaN, infinite or all zero.</summary>
    public static void ThrowIfInvalid(ReadOnlyMemory<float> vector, object generator, Func<int, string> describeInput, int index)
    {
        string? problem = Problem(vector.Span);
        if (problem is not null)
        {
            throw new InvalidOperationException($"The embedding generator {Name(generator)} returned {problem} for {describeInput(index)}.");
        }
    }

    /// <summary>Why the vector cannot be used, or null when it can.</summary>
    public static string? Problem(ReadOnlySpan<float> v)
    {
        if (v.IsEmpty)
        {
            return "an empty vector";
        }

        // Sum of squares is NaN or infinite when any component is; zero when all are.
        float norm = TensorPrimitives.SumOfSquares(v);
        if (float.IsNaN(norm) || float.IsInfinity(norm))
        {
            for (int i = 0; i < v.Length; i++)
            {
                if (!float.IsFinite(v[i]))
                {
                    return $"a vector with a non-finite component ({v[i]} at {i})";
                }
            }

            return "a vector whose length overflows";
        }

        return norm == 0f ? "an all-zero vector" : null;
    }

    private static string Name(object generator) => generator.GetType().Name;
}
