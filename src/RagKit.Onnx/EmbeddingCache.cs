using RagKit.Caching;
using RagKit.Providers;

namespace RagKit.Onnx;

/// <summary>One computed embedding: the unit vector and the token count of the input before truncation.</summary>
internal sealed record CachedEmbedding(float[] Vector, int OriginalTokenCount, bool Truncated);

/// <summary>A bounded, thread-safe least-recently-used cache from exact input text to embedding (on RagKit's LRU policy).</summary>
internal sealed class EmbeddingCache
{
    private readonly BoundedLruCache<string, CachedEmbedding> _cache;
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    public EmbeddingCache(int capacity)
    {
        _cache = new BoundedLruCache<string, CachedEmbedding>(capacity, StringComparer.Ordinal);
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

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

    public bool TryGet(string text, out CachedEmbedding value)
    {
        lock (_lock)
        {
            if (_cache.TryGet(text, out value))
            {
                _hits++;
                return true;
            }

            _misses++;
        }

        value = null!;
        return false;
    }

    public void Set(string text, CachedEmbedding value)
    {
        lock (_lock)
        {
            _cache.Set(text, value);
        }
    }
}
