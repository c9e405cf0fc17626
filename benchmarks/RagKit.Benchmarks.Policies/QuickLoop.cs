using System.Diagnostics;
using RagKit;
using RagKit.Caching;

/// <summary>A robust-under-load cross-check of the BenchmarkDotNet numbers: the minimum over several timed loops.</summary>
internal static class QuickLoop
{
    private const int Keys = 1_000;

    public static void Run()
    {
        string[] keys = Enumerable.Range(0, Keys).Select(i => $"how do i configure feature number {i} in the admin console").ToArray();
        ScopeKey scope = new RagScope("tenant").GetKey("bench");
        var parts = new List<(string Name, Func<string, bool> Get)>();
        foreach (EvictionPolicyFactory f in new[] { EvictionPolicyFactory.Lru, EvictionPolicyFactory.Lfu, EvictionPolicyFactory.WTinyLfu, EvictionPolicyFactory.WTinyLfuLruFirst })
        {
            var legacy = new LegacyExactAnswerCache(10_000, 1L << 30, f, TimeProvider.System);
            var current = new ExactAnswerCache(10_000, 1L << 30, f, TimeProvider.System);
            foreach (string k in keys)
            {
                legacy.Set(scope, GetHitBenchmarks.Answer(scope.Id, k));
                current.Set(scope, GetHitBenchmarks.Answer(scope.Id, k));
            }

            parts.Add(($"{f.Name} before", q => legacy.TryGet(scope, q) is not null));
            parts.Add(($"{f.Name} after", q => current.TryGet(scope, q) is not null));
        }

        var noop = new ExactAnswerCache(10_000, 1L << 30, new NoOpFactory(), TimeProvider.System);
        foreach (string k in keys)
        {
            noop.Set(scope, GetHitBenchmarks.Answer(scope.Id, k));
        }

        parts.Add(("after, no-op policy (floor)", q => noop.TryGet(scope, q) is not null));

        var lru = new BitFaster.Caching.Lru.ConcurrentLru<string, CachedAnswer>(10_000);
        var lfu = new BitFaster.Caching.Lfu.ConcurrentLfu<string, CachedAnswer>(10_000);
        foreach (string k in keys)
        {
            lru.AddOrUpdate(k, GetHitBenchmarks.Answer("s", k));
            lfu.AddOrUpdate(k, GetHitBenchmarks.Answer("s", k));
        }

        parts.Add(("BitFaster ConcurrentLru", q => lru.TryGet(q, out _)));
        parts.Add(("BitFaster ConcurrentLfu", q => lfu.TryGet(q, out _)));
        parts.Add(("xxhash3 of the question", q => QuestionNormalizer.Hash(q) != 1));
        parts.Add(("Stopwatch.GetTimestamp", _ => Stopwatch.GetTimestamp() != 1));
        parts.Add(("TimeProvider.System.GetUtcNow", _ => TimeProvider.System.GetUtcNow().Ticks != 1));
        parts.Add(("Environment.TickCount64", _ => Environment.TickCount64 != 1));
        parts.Add(("string.GetHashCode (Marvin)", q => q.GetHashCode() != 1));
        parts.Add(("empty delegate (loop overhead)", q => q is not null));

        double[] bests = parts.Select(_ => double.MaxValue).ToArray();
        for (int round = 0; round < 7; round++)
        {
            for (int p = 0; p < parts.Count; p++)
            {
                (string name, Func<string, bool> get) = parts[p];
                const int ops = 500_000;
                int i = 0;
                int hits = 0;
                long start = Stopwatch.GetTimestamp();
                for (int n = 0; n < ops; n++)
                {
                    i += 7;
                    if (i >= Keys)
                    {
                        i -= Keys;
                    }

                    if (get(keys[i]))
                    {
                        hits++;
                    }
                }

                double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / ops;
                if (hits != ops)
                {
                    throw new InvalidOperationException(name);
                }

                bests[p] = Math.Min(bests[p], ns);
            }
        }

        for (int p = 0; p < parts.Count; p++)
        {
            Console.WriteLine($"{parts[p].Name,-32} {bests[p],8:F1} ns/op");
        }

        Console.WriteLine("(min of 7 interleaved rounds x 500k gets, 1 thread, each including the loop and a delegate call)");
    }

    private sealed class NoOpFactory : EvictionPolicyFactory
    {
        public override string Name => "none";

        public override IEvictionPolicy<TKey> Create<TKey>(EvictionPolicyContext context) => new NoOp<TKey>();

        private sealed class NoOp<TKey> : IEvictionPolicy<TKey>
            where TKey : notnull
        {
            public void OnInserted(TKey key, EvictionEntryInfo info)
            {
            }

            public void OnAccessed(TKey key)
            {
            }

            public void OnRemoved(TKey key)
            {
            }

            public bool TryEvict([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TKey victim)
            {
                victim = default;
                return false;
            }
        }
    }
}
