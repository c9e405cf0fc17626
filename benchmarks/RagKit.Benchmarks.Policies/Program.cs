using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BenchmarkDotNet.Running;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using RagKit;
using RagKit.Caching;

// dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Policies -- --filter '*'
// dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Policies -- --quick   (min-of-7 Stopwatch loop, 1 thread)
if (args.Length > 0 && args[0] == "--quick")
{
    QuickLoop.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GetHitBenchmarks).Assembly).Run(args);

/// <summary>
/// Get-hit latency of RagKit's exact tier (the real ExactAnswerCache: lock-free dictionary read, the hit recorded
/// in a striped lossy read buffer replayed to the policy under the lock; "(before)" is the frozen previous version
/// with a lossy Monitor.TryEnter per hit) per eviction policy, against BitFaster.Caching's ConcurrentLru and
/// ConcurrentLfu, on 1 and 2 threads. Mean = time per get on each thread; throughput = threads / mean.
/// </summary>
[Config(typeof(ShortInProcess))]
[MemoryDiagnoser]
public class GetHitBenchmarks
{
    private const int Ops = 50_000;
    private const int Keys = 1_000;
    private string[] _keys = [];
    private ICache _cache = null!;

    [Params("RagKit LRU (before)", "RagKit W-TinyLFU (before)", "RagKit LRU", "RagKit LFU", "RagKit W-TinyLFU", "RagKit W-TinyLFU (LRU first)", "RagKit GDSF", "BitFaster ConcurrentLru", "BitFaster ConcurrentLfu")]
    public string Cache { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = Enumerable.Range(0, Keys).Select(i => $"how do i configure feature number {i} in the admin console").ToArray();
        _cache = Cache switch
        {
            "RagKit LRU (before)" => new LegacyCache(EvictionPolicyFactory.Lru),
            "RagKit W-TinyLFU (before)" => new LegacyCache(EvictionPolicyFactory.WTinyLfu),
            "RagKit LRU" => new RagKitCache(EvictionPolicyFactory.Lru),
            "RagKit LFU" => new RagKitCache(EvictionPolicyFactory.Lfu),
            "RagKit W-TinyLFU" => new RagKitCache(EvictionPolicyFactory.WTinyLfu),
            "RagKit W-TinyLFU (LRU first)" => new RagKitCache(EvictionPolicyFactory.WTinyLfuLruFirst),
            "RagKit GDSF" => new RagKitCache(EvictionPolicyFactory.Gdsf),
            "BitFaster ConcurrentLru" => new LruCache(),
            "BitFaster ConcurrentLfu" => new LfuCache(),
            _ => throw new InvalidOperationException(Cache),
        };
        foreach (string k in _keys)
        {
            _cache.Set(k);
        }

        if (Run(0) != Ops)
        {
            throw new InvalidOperationException("not every get was a hit");
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int GetHit()
    {
        if (Threads == 1)
        {
            return Run(0);
        }

        Task<int> other = Task.Factory.StartNew(() => Run(1), TaskCreationOptions.LongRunning);
        return Run(0) + other.Result;
    }

    private int Run(int seed)
    {
        string[] keys = _keys;
        ICache cache = _cache;
        int hits = 0;
        int i = seed * 500;
        for (int n = 0; n < Ops; n++)
        {
            i += 7;
            if (i >= Keys)
            {
                i -= Keys;
            }

            if (cache.TryGet(keys[i]))
            {
                hits++;
            }
        }

        return hits;
    }

    private interface ICache
    {
        void Set(string question);

        bool TryGet(string question);
    }

    private sealed class RagKitCache(EvictionPolicyFactory policy) : ICache
    {
        private static readonly TimeProvider Time = TimeProvider.System;
        private readonly ExactAnswerCache _cache = new(10_000, 1L << 30, policy, Time);
        private readonly ScopeKey _scope = new RagScope("tenant").GetKey("bench");

        public void Set(string question) => _cache.Set(_scope, Answer(_scope.Id, question));

        public bool TryGet(string question) => _cache.TryGet(_scope, question) is not null;
    }

    private sealed class LegacyCache(EvictionPolicyFactory policy) : ICache
    {
        private static readonly TimeProvider Time = TimeProvider.System;
        private readonly LegacyExactAnswerCache _cache = new(10_000, 1L << 30, policy, Time);
        private readonly ScopeKey _scope = new RagScope("tenant").GetKey("bench");

        public void Set(string question) => _cache.Set(_scope, Answer(_scope.Id, question));

        public bool TryGet(string question) => _cache.TryGet(_scope, question) is not null;
    }

    private sealed class LruCache : ICache
    {
        private readonly ConcurrentLru<string, CachedAnswer> _cache = new(10_000);

        public void Set(string question) => _cache.AddOrUpdate(question, Answer("s", question));

        public bool TryGet(string question) => _cache.TryGet(question, out _);
    }

    private sealed class LfuCache : ICache
    {
        private readonly ConcurrentLfu<string, CachedAnswer> _cache = new(10_000);

        public void Set(string question) => _cache.AddOrUpdate(question, Answer("s", question));

        public bool TryGet(string question) => _cache.TryGet(question, out _);
    }

    /// <summary>The cached answer every benchmark in this project stores (one shape, so the caches compare fairly).</summary>
    internal static CachedAnswer Answer(string scopeId, string question) => new()
    {
        Question = question,
        ScopeId = scopeId,
        Text = "answer",
        Citations = [],
        Provenance = [],
        GenerationCost = TimeSpan.FromSeconds(1),
        CreatedAt = DateTimeOffset.UtcNow,
        ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
    };
}

/// <summary>The short job, in process (no per-run project build: the machine is shared and busy).</summary>
public sealed class ShortInProcess : ManualConfig
{
    public ShortInProcess() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
}
