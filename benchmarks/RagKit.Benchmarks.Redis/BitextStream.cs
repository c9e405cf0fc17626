using System.Diagnostics;
using RagKit.Caching;
using RagKit.Redis;

namespace RagKit.Benchmarks.Redis;

internal sealed record StreamResult(string Config, float Threshold, int Queries, int Hits, int FalseHits)
{
    public double HitRate => (double)Hits / Queries;

    public double FalseHitRate => (double)FalseHits / Queries;
}

/// <summary>
/// The protocol of docs/semantic.md on Bitext: a stream of questions; each miss stores the question with its own generated
/// answer (with the answer's embedding when <c>answerVectors</c>); a hit whose answer belongs to another intent is false.
/// Through the Redis tier (a fresh key prefix per run) or the in-process tier.
/// </summary>
internal static class BitextStream
{
    private static readonly ScopeKey Scope = new RagScope("bitext").GetKey("bench");

    public static RedisSemanticCacheOptions Options(string endpoint) => new()
    {
        ConnectionString = endpoint,
        KeyPrefix = "bx" + Guid.NewGuid().ToString("N")[..8],
        SemanticCapacityPerScope = 100_000,
        TierTimeout = TimeSpan.FromSeconds(5),
        StreamPollInterval = TimeSpan.FromMilliseconds(10),
    };

    public static async Task<StreamResult> RedisAsync(string endpoint, string name, IReadOnlyList<BitextQuery> queries, Dictionary<string, float[]> vectors, ISemanticMatchRule rule, float threshold, bool answerVectors, Action<RedisSemanticCacheOptions, IRedisSemanticCache>? configure = null)
    {
        RedisSemanticCacheOptions options = Options(endpoint);
        configure?.Invoke(options, null!);
        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);
        configure?.Invoke(options, cache);
        return await RunAsync(cache, name, queries, vectors, rule, threshold, answerVectors, null);
    }

    public static StreamResult InProcess(string name, IReadOnlyList<BitextQuery> queries, Dictionary<string, float[]> vectors, ISemanticMatchRule rule, float threshold, bool answerVectors)
    {
        using var cache = new InProcessSemanticCache(1_000_000, EvictionPolicyFactory.Lru, TimeProvider.System, rule, false);
        return RunAsync(cache, name, queries, vectors, rule, threshold, answerVectors, null).GetAwaiter().GetResult();
    }

    public static async Task<StreamResult> RunAsync(ISemanticAnswerCache cache, string name, IReadOnlyList<BitextQuery> queries, Dictionary<string, float[]> vectors, ISemanticMatchRule rule, float threshold, bool answerVectors, List<double>? lookupMicros, List<double>? storeMicros = null)
    {
        var labelOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (BitextQuery q in queries)
        {
            labelOf[q.Response] = q.Label;
        }

        int hits = 0, falseHits = 0;
        foreach (BitextQuery q in queries)
        {
            string norm = QuestionNormalizer.Normalize(q.Text);
            float[] v = vectors[q.Text];
            long start = Stopwatch.GetTimestamp();
            SemanticCacheHit? hit = await cache.FindAsync(new SemanticQuery(Scope, norm, v, threshold) { Rule = rule }, default);
            lookupMicros?.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            if (hit is not null)
            {
                hits++;
                falseHits += string.Equals(labelOf[hit.Answer.Text], q.Label, StringComparison.Ordinal) ? 0 : 1;
                continue;
            }

            CachedAnswer answer = Answer(norm, q.Response, answerVectors ? vectors[BitextData.AnswerPrefix + q.Response] : null);
            start = Stopwatch.GetTimestamp();
            await cache.StoreAsync(Scope, v, answer, default);
            storeMicros?.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return new StreamResult(name, threshold, queries.Count, hits, falseHits);
    }

    public static CachedAnswer Answer(string question, string text, float[]? answerEmbedding) => new()
    {
        AnswerEmbedding = answerEmbedding,
        Question = question,
        ScopeId = Scope.Id,
        Text = text,
        Citations = [],
        Provenance = [],
        CreatedAt = DateTimeOffset.UtcNow,
        ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
    };

    /// <summary>Static hit rate at a given false-hit rate, linearly interpolated on the static curve (as the semantic benchmark).</summary>
    public static double InterpolateHitRate(IReadOnlyList<StreamResult> curve, double falseHitRate)
    {
        var pts = curve.OrderBy(r => r.FalseHitRate).ToList();
        if (falseHitRate <= pts[0].FalseHitRate)
        {
            return pts[0].HitRate * (pts[0].FalseHitRate == 0 ? 1 : falseHitRate / pts[0].FalseHitRate);
        }

        for (int i = 1; i < pts.Count; i++)
        {
            if (falseHitRate <= pts[i].FalseHitRate)
            {
                double f = (falseHitRate - pts[i - 1].FalseHitRate) / (pts[i].FalseHitRate - pts[i - 1].FalseHitRate);
                return pts[i - 1].HitRate + (f * (pts[i].HitRate - pts[i - 1].HitRate));
            }
        }

        return pts[^1].HitRate;
    }
}
