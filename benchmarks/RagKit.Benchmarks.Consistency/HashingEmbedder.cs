using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.AI;

namespace RagKit.Benchmarks.Consistency;

/// <summary>
/// A cheap deterministic embedder (hashed bag of words, 384-d, L2-normalized), so the harness spends its CPU on the
/// cache and invalidation paths under test rather than on MiniLM. Questions and documents use distinct made-up words,
/// so retrieval still finds the right document.
/// </summary>
public sealed class HashingEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 384;

    /// <summary>When set, any text containing it makes the embedder throw (an ingest that fails part-way).</summary>
    public volatile string? FailOn;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string text in values)
        {
            if (FailOn is { } marker && text.Contains(marker, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Injected embedder failure.");
            }

            var v = new float[Dimensions];
            foreach (string word in text.Split([' ', '.', '?', ',', ':', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
            {
                ulong h = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(word.ToLowerInvariant()));
                v[(int)(h % Dimensions)] += (h & (1UL << 40)) == 0 ? 1f : -1f;
            }

            float norm = MathF.Sqrt(v.Sum(x => x * x));
            if (norm > 0)
            {
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] /= norm;
                }
            }

            result.Add(new Embedding<float>(v));
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("hashing", null, "hashing-bow", Dimensions) : null;

    public void Dispose()
    {
    }
}
