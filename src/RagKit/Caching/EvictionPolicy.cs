using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>What an eviction policy knows about an entry when it is inserted.</summary>
/// <param name="SizeBytes">Approximate size of the entry in bytes.</param>
/// <param name="Cost">What the entry cost to produce, in seconds (for answers: the generation time).</param>
public readonly record struct EvictionEntryInfo(long SizeBytes, double Cost);

/// <summary>The limits a policy works within.</summary>
/// <param name="MaxEntries">Most entries the cache holds.</param>
/// <param name="MaxBytes">Most bytes (sum of <see cref="EvictionEntryInfo.SizeBytes"/>) the cache holds.</param>
public readonly record struct EvictionPolicyContext(int MaxEntries, long MaxBytes);

/// <summary>
/// Decides which entry a cache gives up when it is over its entry count or byte budget.
/// </summary>
/// <remarks>
/// The cache calls a policy under its own lock, so implementations need not be thread-safe.
/// Expiry (TTL) is enforced by the cache itself and combines with any policy.
/// </remarks>
/// <typeparam name="TKey">The cache's key type.</typeparam>
public interface IEvictionPolicy<TKey>
    where TKey : notnull
{
    /// <summary>A new entry was inserted.</summary>
    void OnInserted(TKey key, EvictionEntryInfo info);

    /// <summary>An entry was read (a hit).</summary>
    void OnAccessed(TKey key);

    /// <summary>An entry was removed by the cache for a reason other than eviction (expiry, invalidation, replacement).</summary>
    void OnRemoved(TKey key);

    /// <summary>
    /// Chooses an entry to evict and forgets it. A policy with admission control may return the entry just inserted.
    /// </summary>
    /// <returns>False when the policy tracks no entry.</returns>
    bool TryEvict([MaybeNullWhen(false)] out TKey victim);
}

/// <summary>Creates eviction policies for the caches of a pipeline. Derive from it to plug in your own policy.</summary>
public abstract class EvictionPolicyFactory
{
    /// <summary>Least recently used.</summary>
    public static EvictionPolicyFactory Lru { get; } = new LruEvictionPolicyFactory();

    /// <summary>Least frequently used with dynamic aging (LFU-DA): priority = clock + hits, where the clock is the
    /// priority of the last victim, so once-popular entries age out.</summary>
    public static EvictionPolicyFactory Lfu { get; } = new GreedyDualFactory("lfu", costAware: false);

    /// <summary>Window TinyLFU (as in Caffeine): frequency-sketch admission, an LRU window, a segmented-LRU main
    /// region, and a window size tuned ARC-style by ghosts of recently evicted keys (up to the whole cache, where it
    /// is LRU). Resists scans and one-hit wonders.</summary>
    public static EvictionPolicyFactory WTinyLfu { get; } = new WTinyLfuFactory("w-tinylfu", WTinyLfuSettings.Default);

    /// <summary>
    /// W-TinyLFU that starts as LRU: the whole cache is the LRU window while a shadow W-TinyLFU (10 % window) runs over
    /// a sample of the keys; once the shadow is 16 hits ahead on the sampled keys, the policy hands over to it and the
    /// window is tuned as in <see cref="WTinyLfu"/>. It gives up the first pass of loops and scans longer than the cache,
    /// which <see cref="WTinyLfu"/> keeps. For caches moving from LRU that must never do worse (docs/policies.md has its
    /// results on the trace harness).
    /// </summary>
    public static EvictionPolicyFactory WTinyLfuLruFirst { get; } = new WTinyLfuFactory("w-tinylfu-lru-first", WTinyLfuSettings.LruFirst);

    /// <summary>
    /// W-TinyLFU with Caffeine's window tuning: a hill climber samples the hit rate every 10 × capacity accesses and moves
    /// the window (1 % at start, at most 80 %) in steps of 6.25 % of the capacity, reversing when the hit rate falls; the
    /// step decays by 0.98 per sample and restarts when the hit rate moves by more than 5 %. No ghosts and no start-up
    /// duel. It trails <see cref="WTinyLfu"/> on the trace harness (docs/policies.md); it is there for exact comparisons
    /// with Caffeine.
    /// </summary>
    public static EvictionPolicyFactory WTinyLfuHillClimber { get; } = new WTinyLfuFactory("w-tinylfu-hill-climber", WTinyLfuSettings.HillClimber);

    /// <summary>GreedyDual-Size-Frequency: priority = clock + frequency × cost / size, with cost the entry's
    /// <see cref="EvictionEntryInfo.Cost"/> (generation time). Keeps small, costly, often-hit answers.</summary>
    public static EvictionPolicyFactory Gdsf { get; } = new GreedyDualFactory("gdsf", costAware: true);

    /// <summary>A short name for logs and metrics.</summary>
    public abstract string Name { get; }

    /// <summary>Creates a policy for one cache.</summary>
    public abstract IEvictionPolicy<TKey> Create<TKey>(EvictionPolicyContext context)
        where TKey : notnull;

    private sealed class GreedyDualFactory(string name, bool costAware) : EvictionPolicyFactory
    {
        public override string Name => name;

        public override IEvictionPolicy<TKey> Create<TKey>(EvictionPolicyContext context) => new GreedyDualPolicy<TKey>(context.MaxEntries, costAware);
    }

    private sealed class WTinyLfuFactory(string name, WTinyLfuSettings settings) : EvictionPolicyFactory
    {
        public override string Name => name;

        public override IEvictionPolicy<TKey> Create<TKey>(EvictionPolicyContext context) => new WTinyLfuPolicy<TKey>(context, settings);
    }

    private sealed class LruEvictionPolicyFactory : EvictionPolicyFactory
    {
        public override string Name => "lru";

        public override IEvictionPolicy<TKey> Create<TKey>(EvictionPolicyContext context) => new LruEvictionPolicy<TKey>(context.MaxEntries);
    }
}

/// <summary>
/// The policy's own record of one entry, handed to the cache on insert so a replayed read reaches the entry without
/// a lookup by key: a node object, or a slot in the policy's arrays with the slot's generation (so the cache keeps it
/// inline and a replay touches only the policy's compact arrays). A handle the policy has forgotten (evicted or
/// removed) stays forgotten: reads of it are ignored, even once its slot is reused.
/// </summary>
/// <param name="Node">The policy's node (node-based policies).</param>
/// <param name="Slot">The entry's slot (slot-based policies).</param>
/// <param name="Generation">The slot's generation when the handle was made (slot-based policies).</param>
internal readonly record struct EvictionHandle(object? Node, int Slot = 0, int Generation = 0);

/// <summary>
/// The built-in policies' fast seam (internal; caches detect it once at construction, other policies are driven by
/// key through <see cref="IEvictionPolicy{TKey}"/>). Driving a policy by handle gives exactly the decisions of
/// driving it by key.
/// </summary>
internal interface IHandleEvictionPolicy<TKey> : IEvictionPolicy<TKey>
    where TKey : notnull
{
    /// <summary>As <see cref="IEvictionPolicy{TKey}.OnInserted"/>; returns the entry's handle.</summary>
    EvictionHandle Insert(TKey key, EvictionEntryInfo info);

    /// <summary>As <see cref="IEvictionPolicy{TKey}.OnAccessed"/> for the handle's key; ignored when the policy has forgotten the handle.</summary>
    void OnAccessed(EvictionHandle handle);
}

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
