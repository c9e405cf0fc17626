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
    /// window is tuned as in <see cref="WTinyLfu"/>. On the trace harness it is at or above LRU on all 51 cells (ties where LRU is optimal),
    /// where <see cref="WTinyLfu"/> is on 43 of 51, but it gives up the first pass of loops and scans longer than the
    /// cache, which <see cref="WTinyLfu"/> keeps (mean gap to the optimum 7.1 points against 5.9). For caches moving from LRU
    /// that must never do worse.
    /// </summary>
    public static EvictionPolicyFactory WTinyLfuLruFirst { get; } = new WTinyLfuFactory("w-tinylfu-lru-first", WTinyLfuSettings.LruFirst);

    /// <summary>
    /// W-TinyLFU with Caffeine's window tuning: a hill climber samples the hit rate every 10 × capacity accesses and moves
    /// the window (1 % at start, at most 80 %) in steps of 6.25 % of the capacity, reversing when the hit rate falls; the
    /// step decays by 0.98 per sample and restarts when the hit rate moves by more than 5 %. No ghosts and no start-up
    /// duel. On the trace harness it trails <see cref="WTinyLfu"/> (above LRU on 38 of 48 LIRS / cache2k / OLTP cells
    /// against 40, OLTP 40.58 / 46.23 % against 41.05 / 46.90 %); it is there for exact comparisons with Caffeine.
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

/// <summary>Least-recently-used eviction: a linked list in access order.</summary>
internal sealed class LruEvictionPolicy<TKey> : IEvictionPolicy<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<TKey>> _nodes;
    private readonly LinkedList<TKey> _order = new();

    public LruEvictionPolicy(int capacityHint) => _nodes = new Dictionary<TKey, LinkedListNode<TKey>>(Math.Min(capacityHint, 1 << 16));

    public void OnInserted(TKey key, EvictionEntryInfo info)
    {
        if (_nodes.TryGetValue(key, out LinkedListNode<TKey>? node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            return;
        }

        _nodes[key] = _order.AddFirst(key);
    }

    public void OnAccessed(TKey key)
    {
        if (_nodes.TryGetValue(key, out LinkedListNode<TKey>? node) && node != _order.First)
        {
            _order.Remove(node);
            _order.AddFirst(node);
        }
    }

    public void OnRemoved(TKey key)
    {
        if (_nodes.Remove(key, out LinkedListNode<TKey>? node))
        {
            _order.Remove(node);
        }
    }

    public bool TryEvict([MaybeNullWhen(false)] out TKey victim)
    {
        LinkedListNode<TKey>? last = _order.Last;
        if (last is null)
        {
            victim = default;
            return false;
        }

        victim = last.Value;
        _order.RemoveLast();
        _nodes.Remove(victim);
        return true;
    }
}
