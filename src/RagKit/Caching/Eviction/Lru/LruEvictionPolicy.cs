using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// Least-recently-used eviction: a doubly linked list in access order (most recent first) kept in int arrays indexed
/// by slot, so a move is a few int stores in a compact block (no node objects, no GC write barriers). A handle is the
/// entry's slot and the slot's generation, which is bumped when the entry is forgotten, so a stale handle never moves
/// the entry that reuses its slot.
/// </summary>
internal sealed class LruEvictionPolicy<TKey> : IHandleEvictionPolicy<TKey>
    where TKey : notnull
{
    private const int Head = 0; // sentinel: _next[Head] is the most recent, _prev[Head] the least recent
    private const int InitialSlots = 4;
    private readonly Dictionary<TKey, int> _slotOf;
    private int[] _prev;
    private int[] _next;
    private int[] _generation;
    private TKey[] _keys;
    private int _used = 1; // slots handed out so far (slot 0 is the sentinel)
    private int _free = -1; // free list through _next

    public LruEvictionPolicy(int capacityHint, IEqualityComparer<TKey>? comparer = null)
    {
        // Start small and grow by doubling: a cache per scope is often nearly empty (one tenant, one conversation),
        // and arrays preallocated to capacity cost hundreds of KB per scope.
        int hint = Math.Clamp(capacityHint, 1, InitialSlots);
        _slotOf = new Dictionary<TKey, int>(hint, comparer);
        _prev = new int[hint + 2];
        _next = new int[hint + 2];
        _generation = new int[hint + 2];
        _keys = new TKey[hint + 2];
    }

    public void OnInserted(TKey key, EvictionEntryInfo info) => Insert(key, info);

    public EvictionHandle Insert(TKey key, EvictionEntryInfo info)
    {
        if (_slotOf.TryGetValue(key, out int slot))
        {
            MoveToFront(slot);
        }
        else
        {
            slot = NewSlot();
            _keys[slot] = key;
            _slotOf[key] = slot;
            LinkFront(slot);
        }

        return new EvictionHandle(null, slot, _generation[slot]);
    }

    public void OnAccessed(TKey key)
    {
        if (_slotOf.TryGetValue(key, out int slot))
        {
            MoveToFront(slot);
        }
    }

    public void OnAccessed(EvictionHandle handle)
    {
        int slot = handle.Slot;
        int[] generation = _generation;
        if (slot > 0 && slot < generation.Length && generation[slot] == handle.Generation)
        {
            MoveToFront(slot);
        }
    }

    public void OnRemoved(TKey key)
    {
        if (_slotOf.Remove(key, out int slot))
        {
            Forget(slot);
        }
    }

    public bool TryEvict([MaybeNullWhen(false)] out TKey victim)
    {
        int last = _prev[Head];
        if (last == Head)
        {
            victim = default;
            return false;
        }

        victim = _keys[last];
        _slotOf.Remove(victim);
        Forget(last);
        return true;
    }

    /// <summary>Number of entries tracked.</summary>
    public int Count => _slotOf.Count;

    /// <summary>Slots handed out can be below this (for owners keeping values in an array indexed by slot).</summary>
    public int SlotCapacity => _keys.Length;

    /// <summary>The tracked keys and their slots, most recently used first (do not change the policy while enumerating).</summary>
    public IEnumerable<(TKey Key, int Slot)> MostRecentFirst()
    {
        for (int slot = _next[Head]; slot != Head; slot = _next[slot])
        {
            yield return (_keys[slot], slot);
        }
    }

    /// <summary>The key's slot, which becomes the most recently used; false when the key is not tracked.</summary>
    public bool TryAccess(TKey key, out int slot)
    {
        if (!_slotOf.TryGetValue(key, out slot))
        {
            return false;
        }

        MoveToFront(slot);
        return true;
    }

    /// <summary>As <see cref="OnRemoved(TKey)"/>, saying which slot the key had.</summary>
    public bool Remove(TKey key, out int slot)
    {
        if (!_slotOf.Remove(key, out slot))
        {
            return false;
        }

        Forget(slot);
        return true;
    }

    /// <summary>As <see cref="TryEvict(out TKey)"/>, saying which slot the victim had.</summary>
    public bool TryEvict([MaybeNullWhen(false)] out TKey victim, out int slot)
    {
        slot = _prev[Head];
        if (slot == Head)
        {
            victim = default;
            return false;
        }

        victim = _keys[slot];
        _slotOf.Remove(victim);
        Forget(slot);
        return true;
    }

    private void MoveToFront(int slot)
    {
        int[] next = _next;
        int[] prev = _prev;
        int first = next[Head];
        if (first == slot)
        {
            return;
        }

        int p = prev[slot];
        int n = next[slot];
        next[p] = n;
        prev[n] = p;
        next[slot] = first;
        prev[slot] = Head;
        prev[first] = slot;
        next[Head] = slot;
    }

    private void LinkFront(int slot)
    {
        int first = _next[Head];
        _next[slot] = first;
        _prev[slot] = Head;
        _prev[first] = slot;
        _next[Head] = slot;
    }

    /// <summary>Unlinks the slot and frees it; the bumped generation makes every handle to it stale.</summary>
    private void Forget(int slot)
    {
        _next[_prev[slot]] = _next[slot];
        _prev[_next[slot]] = _prev[slot];
        _keys[slot] = default!;
        _generation[slot]++;
        _next[slot] = _free;
        _free = slot;
    }

    private int NewSlot()
    {
        if (_free >= 0)
        {
            int slot = _free;
            _free = _next[slot];
            return slot;
        }

        if (_used == _keys.Length)
        {
            int size = _keys.Length * 2;
            Array.Resize(ref _prev, size);
            Array.Resize(ref _next, size);
            Array.Resize(ref _generation, size);
            Array.Resize(ref _keys, size);
        }

        return _used++;
    }
}
