namespace RagKit.Caching;

/// <summary>
/// A map bounded by entry count that evicts the least recently used entry, on <see cref="LruEvictionPolicy{TKey}"/>
/// (the same policy the answer tiers use), for the small caches beside the tiers (embeddings, retrievals). Not
/// thread-safe: the owner locks. Starts small and grows with its entries.
/// </summary>
internal sealed class BoundedLruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Slot> _map;
    private readonly LruEvictionPolicy<TKey> _policy;
    private readonly int _capacity;

    public BoundedLruCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _map = new Dictionary<TKey, Slot>(comparer);
        _policy = new LruEvictionPolicy<TKey>(capacity);
    }

    public int Count => _map.Count;

    public int Capacity => _capacity;

    /// <summary>The value of <paramref name="key"/>, which becomes the most recently used.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out Slot slot))
        {
            _policy.OnAccessed(slot.Handle);
            value = slot.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Adds or replaces the entry as the most recently used; evicts the least recently used ones over capacity.</summary>
    public void Set(TKey key, TValue value)
    {
        EvictionHandle handle = _policy.Insert(key, default);
        _map[key] = new Slot(value, handle);
        while (_map.Count > _capacity && _policy.TryEvict(out TKey? victim))
        {
            _map.Remove(victim);
        }
    }

    public bool Remove(TKey key)
    {
        if (!_map.Remove(key))
        {
            return false;
        }

        _policy.OnRemoved(key);
        return true;
    }

    /// <summary>The entries, most recently used first, without moving any (do not modify the cache while enumerating).</summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> MostRecentFirst()
    {
        foreach (TKey key in _policy.MostRecentFirst())
        {
            yield return new KeyValuePair<TKey, TValue>(key, _map[key].Value);
        }
    }

    /// <summary>Removes every entry the predicate selects; returns how many.</summary>
    public int RemoveWhere<TState>(Func<TKey, TValue, TState, bool> predicate, TState state)
    {
        List<TKey>? victims = null;
        foreach ((TKey key, Slot slot) in _map)
        {
            if (predicate(key, slot.Value, state))
            {
                (victims ??= []).Add(key);
            }
        }

        if (victims is null)
        {
            return 0;
        }

        foreach (TKey key in victims)
        {
            Remove(key);
        }

        return victims.Count;
    }

    private readonly record struct Slot(TValue Value, EvictionHandle Handle);
}
