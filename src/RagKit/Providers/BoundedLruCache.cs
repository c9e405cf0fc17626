using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;
using RagKit.Providers;

namespace RagKit.Providers;

/// <summary>
/// A map bounded by entry count that evicts the least recently used entry, on <see cref="LruEvictionPolicy{TKey}"/>
/// (the same policy the answer tiers use), for the small caches beside the tiers (embeddings, retrievals). The policy's
/// own key index is the only one: values sit in an array indexed by the policy's slot. Not thread-safe: the owner
/// locks. Starts small and grows with its entries.
/// </summary>
/// <typeparam name="TKey">The key.</typeparam>
/// <typeparam name="TValue">The value.</typeparam>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public sealed class BoundedLruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly LruEvictionPolicy<TKey> _policy;
    private readonly int _capacity;
    private TValue[] _values;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="capacity">The most entries it holds; positive.</param>
    /// <param name="comparer">Compares keys; default the key type's.</param>
    public BoundedLruCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _policy = new LruEvictionPolicy<TKey>(capacity, comparer);
        _values = new TValue[_policy.SlotCapacity];
    }

    /// <summary>The entries held.</summary>
    public int Count => _policy.Count;

    /// <summary>The most entries it holds.</summary>
    public int Capacity => _capacity;

    /// <summary>The value of <paramref name="key"/>, which becomes the most recently used.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (_policy.TryAccess(key, out int slot))
        {
            value = _values[slot];
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Adds or replaces the entry as the most recently used; evicts the least recently used ones over capacity.</summary>
    public void Set(TKey key, TValue value)
    {
        int slot = _policy.Insert(key, default).Slot;
        if (slot >= _values.Length)
        {
            Array.Resize(ref _values, _policy.SlotCapacity);
        }

        _values[slot] = value;
        while (_policy.Count > _capacity && _policy.TryEvict(out _, out int evicted))
        {
            _values[evicted] = default!;
        }
    }

    /// <summary>Removes the entry of <paramref name="key"/>; false when there was none.</summary>
    public bool Remove(TKey key)
    {
        if (!_policy.Remove(key, out int slot))
        {
            return false;
        }

        _values[slot] = default!;
        return true;
    }

    /// <summary>The entries, most recently used first, without moving any (do not modify the cache while enumerating).</summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> MostRecentFirst()
    {
        foreach ((TKey key, int slot) in _policy.MostRecentFirst())
        {
            yield return new KeyValuePair<TKey, TValue>(key, _values[slot]);
        }
    }

    /// <summary>Removes every entry the predicate selects; returns how many.</summary>
    public int RemoveWhere<TState>(Func<TKey, TValue, TState, bool> predicate, TState state)
    {
        List<TKey>? victims = null;
        foreach ((TKey key, int slot) in _policy.MostRecentFirst())
        {
            if (predicate(key, _values[slot], state))
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
}
