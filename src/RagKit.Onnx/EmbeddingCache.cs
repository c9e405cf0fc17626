namespace RagKit.Onnx;

/// <summary>One computed embedding: the unit vector and the token count of the input before truncation.</summary>
internal sealed record CachedEmbedding(float[] Vector, int OriginalTokenCount, bool Truncated);

/// <summary>A bounded, thread-safe least-recently-used cache from exact input text to embedding.</summary>
internal sealed class EmbeddingCache
{
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<KeyValuePair<string, CachedEmbedding>>> _map;
    private readonly LinkedList<KeyValuePair<string, CachedEmbedding>> _order = new();
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    public EmbeddingCache(int capacity)
    {
        _capacity = capacity;
        _map = new Dictionary<string, LinkedListNode<KeyValuePair<string, CachedEmbedding>>>(
            Math.Min(capacity, 1024), StringComparer.Ordinal);
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public bool TryGet(string text, out CachedEmbedding value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(text, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
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
            if (_map.TryGetValue(text, out var existing))
            {
                _order.Remove(existing);
                _map.Remove(text);
            }

            var node = _order.AddFirst(new KeyValuePair<string, CachedEmbedding>(text, value));
            _map[text] = node;
            while (_map.Count > _capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
            }
        }
    }
}
