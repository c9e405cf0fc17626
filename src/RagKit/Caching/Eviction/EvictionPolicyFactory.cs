using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

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
