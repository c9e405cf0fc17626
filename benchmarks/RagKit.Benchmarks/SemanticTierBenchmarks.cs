using BenchmarkDotNet.Attributes;
using RagKit.Caching;

namespace RagKit.Benchmarks;

/// <summary>Semantic-tier lookup (ANN candidates + exact re-score + checks) at 10k and 100k entries, embedding excluded.</summary>
[MemoryDiagnoser]
public class SemanticTierBenchmarks
{
    private readonly ScopeKey _scope = new RagScope("acme").GetKey("bench");
    private InProcessSemanticCache _cache = null!;
    private float[][] _queries = [];
    private int _next;

    [Params(10_000, 100_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _cache = new InProcessSemanticCache(Entries, EvictionPolicyFactory.Lru, TimeProvider.System);
        float[][] centers = Enumerable.Range(0, 500).Select(_ => Vectors.RandomUnit(random, 384)).ToArray();
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddDays(1);
        for (int i = 0; i < Entries; i++)
        {
            float[] v = Vectors.Near(random, centers[i % centers.Length], 0.35f);
            var answer = new CachedAnswer
            {
                Question = "q" + i,
                ScopeId = _scope.Id,
                Text = "answer " + i,
                Citations = [],
                Provenance = [],
                ExpiresAt = expires,
            };
            _cache.StoreAsync(_scope, v, answer, default).AsTask().GetAwaiter().GetResult();
        }

        _queries = Enumerable.Range(0, 1024).Select(i => Vectors.Near(random, centers[i % centers.Length], 0.35f)).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();

    [Benchmark]
    public SemanticCacheHit? Lookup()
    {
        float[] q = _queries[_next++ & 1023];
        return _cache.FindAsync(new SemanticQuery(_scope, "q", q, 0.90f), default).Result;
    }
}

internal static class Vectors
{
    public static float[] RandomUnit(Random random, int dims)
    {
        float[] v = new float[dims];
        for (int i = 0; i < dims; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return Normalize(v);
    }

    public static float[] Near(Random random, float[] center, float noise)
    {
        float[] v = new float[center.Length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = center[i] + (float)(((random.NextDouble() * 2) - 1) * noise / Math.Sqrt(center.Length) * 4);
        }

        return Normalize(v);
    }

    private static float[] Normalize(float[] v)
    {
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        for (int i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }

        return v;
    }
}
