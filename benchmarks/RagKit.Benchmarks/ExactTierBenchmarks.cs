using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BitFaster.Caching.Lru;
using RagKit.Caching;

namespace RagKit.Benchmarks;

/// <summary>
/// The exact-tier hit path (normalize + key + lookup + scope check + TTL check) against a plain
/// ConcurrentDictionary lookup and BitFaster's ConcurrentLru, all keyed by the raw question string.
/// </summary>
[MemoryDiagnoser]
public class ExactTierBenchmarks
{
    private const string Question = "How do I reset my password?";
    private readonly ScopeKey _scope = new RagScope("acme").GetKey("bench");
    private ExactAnswerCache _cache = null!;
    private ConcurrentDictionary<string, CachedAnswer> _dictionary = null!;
    private ConcurrentLru<string, CachedAnswer> _lru = null!;
    private string _question = null!;

    [GlobalSetup]
    public void Setup()
    {
        _question = new string(Question.AsSpan()); // not interned, like a request string
        _cache = new ExactAnswerCache(10_000, 64L << 20, EvictionPolicyFactory.Lru, TimeProvider.System);
        _dictionary = new ConcurrentDictionary<string, CachedAnswer>(StringComparer.Ordinal);
        _lru = new ConcurrentLru<string, CachedAnswer>(10_000);
        for (int i = 0; i < 5_000; i++)
        {
            string q = i == 0 ? Question : $"question number {i}";
            CachedAnswer a = Answer(QuestionNormalizer.Normalize(q));
            _cache.Set(_scope, a);
            _dictionary[q] = a;
            _lru.AddOrUpdate(q, a);
        }
    }

    [Benchmark(Baseline = true)]
    public CachedAnswer? ConcurrentDictionaryLookup() => _dictionary.TryGetValue(_question, out CachedAnswer? a) ? a : null;

    [Benchmark]
    public CachedAnswer? BitFasterConcurrentLru() => _lru.TryGet(_question, out CachedAnswer? a) ? a : null;

    [Benchmark]
    public CachedAnswer? RagKitExactTierHit()
    {
        Span<char> buffer = stackalloc char[QuestionNormalizer.MaxNormalizedLength(_question.Length)];
        int n = QuestionNormalizer.Normalize(_question, buffer);
        return _cache.TryGet(_scope, buffer[..n]);
    }

    private CachedAnswer Answer(string normalized) => new()
    {
        Question = normalized,
        ScopeId = _scope.Id,
        Text = "Open Settings, choose Security and click Reset password [1].",
        Citations = [new Citation(1, "passwords", "passwords#0", "To reset your password...", 0.8f)],
        Provenance = [new ProvenanceEntry(new DocumentKey("acme", "default", "passwords"), "passwords#0", 42)],
        ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
    };
}
