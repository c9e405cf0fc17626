using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Providers;

namespace RagKit.AI;

/// <summary>
/// A bounded LRU cache of embeddings in front of any embedding generator, keyed on the exact input text
/// and the options that change the vector (model id, dimensions). Misses of one call are embedded in one batch.
/// </summary>
internal sealed class RagKitCachingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly BoundedLruCache<string, Embedding<float>> _cache;
    private readonly Lock _lock = new();

    public RagKitCachingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int capacity)
        : base(inner)
    {
        if (capacity <= 0)
        {
            throw new ArgumentException($"capacity must be positive; got {capacity}.", nameof(capacity));
        }

        _cache = new BoundedLruCache<string, Embedding<float>>(capacity, StringComparer.Ordinal);
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _cache.Count;
            }
        }
    }

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] inputs = values as string[] ?? values.ToArray();
        string prefix = (options?.ModelId ?? string.Empty) + "\u001f" + (options?.Dimensions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty) + "\u001f";
        var results = new Embedding<float>?[inputs.Length];
        List<int> missing = [];
        lock (_lock)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                if (_cache.TryGet(prefix + inputs[i], out Embedding<float> cached))
                {
                    results[i] = cached;
                }
                else
                {
                    missing.Add(i);
                }
            }
        }

        if (missing.Count > 0)
        {
            GeneratedEmbeddings<Embedding<float>> generated = await base.GenerateAsync(missing.Select(i => inputs[i]).ToArray(), options, cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                for (int j = 0; j < missing.Count; j++)
                {
                    int i = missing[j];
                    results[i] = generated[j];
                    _cache.Set(prefix + inputs[i], generated[j]);
                }
            }
        }

        return new GeneratedEmbeddings<Embedding<float>>(results.Select(r => r!));
    }
}
