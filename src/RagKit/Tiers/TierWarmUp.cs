namespace RagKit.Caching;

/// <summary>
/// Runs the in-process tiers' hit paths once on throwaway instances, so that the first real hit in a process does
/// not pay for JIT compilation, the native HNSW library's first load and search, and the match rule's and guards'
/// static tables (measured in docs/bench/first-hit.md). The real tiers are untouched.
/// </summary>
internal static class TierWarmUp
{
    private const int Dimensions = 384;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Type Policy, string PolicyName, Type? Rule), byte> Warmed = new();

    /// <summary>Warms the exact and semantic hit paths with the given settings; never throws.</summary>
    /// <param name="policy">The eviction policy the real tiers use.</param>
    /// <param name="rule">The semantic match rule the real tiers use.</param>
    /// <param name="time">The clock.</param>
    public static void Run(EvictionPolicyFactory policy, ISemanticMatchRule? rule, TimeProvider time)
    {
        // What it warms is per process (JIT, the native library, static tables), per policy and rule type: once each.
        if (!Warmed.TryAdd((policy.GetType(), policy.Name, rule?.GetType()), 0))
        {
            return;
        }

        try
        {
            var scope = new ScopeKey("ragkit-warm-up", 1);
            DateTimeOffset now = time.GetUtcNow();
            var answer = new CachedAnswer
            {
                Question = "how do i warm up the cache",
                ScopeId = scope.Id,
                Text = "Warm-up answer [1].",
                Citations = [],
                Provenance = [new ProvenanceEntry(new DocumentKey("ragkit", "warm-up", "warm-up"), "warm-up#0", 1)],
                CreatedAt = now,
                ExpiresAt = now + TimeSpan.FromMinutes(1),
            };

            var exact = new ExactAnswerCache(16, 1 << 20, policy, time, slidingExpiration: null);
            exact.Set(scope, answer);
            _ = exact.TryGet(scope, answer.Question.AsSpan());

            // The exact tier's structures start small and grow: a hit's promotion into a growing tier compiled the
            // growth paths (hash set, dictionary and policy arrays resized) on the first real asks (issue 17).
            var growing = new ExactAnswerCache(64, 1 << 22, policy, time, slidingExpiration: null);
            for (int i = 0; i < 80; i++)
            {
                growing.Set(scope, new CachedAnswer
                {
                    Question = "how do i warm up the cache " + i,
                    ScopeId = scope.Id,
                    Text = answer.Text,
                    Citations = [],
                    Provenance = answer.Provenance,
                    CreatedAt = now,
                    ExpiresAt = answer.ExpiresAt,
                });
            }

            float[] stored = UnitVector(seed: 1, noise: 0f);
            float[] asked = UnitVector(seed: 1, noise: 0.02f);
            using var semantic = new InProcessSemanticCache(16, policy, time, rule);
            semantic.StoreAsync(scope, stored, answer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            var query = new SemanticQuery(scope, "how can i warm up the cache", asked, 0.9f) { Rule = rule };
            _ = semantic.FindAsync(query, CancellationToken.None).AsTask().GetAwaiter().GetResult();

            // The front ends reach the tiers through the engine: its store, exact and semantic lookups (their async
            // state machines, freshness checks and promotion) are warmed too, without metrics. Its constructor comes
            // back here and returns at once (this policy and rule are marked warmed above).
            using var engine = new Tiers.TierEngine(new Tiers.TierEngineOptions
            {
                ExactCapacity = 16,
                SemanticCapacityPerScope = 16,
                MaxCacheBytes = 1 << 20,
                EvictionPolicy = policy,
                SemanticMatchRule = rule ?? SemanticMatchRules.Neighbourhood(),
                TimeProvider = time,
            }, countMetrics: false);
            var skips = new Tiers.TierSkips();
            engine.StoreAsync(scope, stored, answer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            _ = engine.FindExactAsAsked(scope, "How do I warm up the cache?");
            _ = engine.FindSemanticExploringAsync(query, skips, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            WarmGuards();
        }
        catch (Exception)
        {
            // A warm-up is an optimisation: whatever goes wrong here shows up, if real, on the first real ask.
        }
    }

    /// <summary>
    /// Question pairs that between them reach every branch of the lexical guards (numbers, ordinals, months, weekdays,
    /// currencies, polarity, negation, antonyms, prefixes, negating verbs, swapped roles). The warm-up pair above differs
    /// only in stop words, so without these each branch was compiled on the first real pair that reached it: a
    /// steady-state semantic hit paid ~0.5 ms of JIT per lookup until every branch had been met (issue 17).
    /// </summary>
    private static readonly (string Question, string Candidate)[] GuardProbes =
    [
        ("how do i enable my debit card", "how do i activate my credit card"),
        ("how do i lock my card", "how do i unlock my card"),
        ("can i withdraw 100 dollars on monday in january", "can i withdraw 200 euros on friday in march"),
        ("when is the second payment due", "when is the 3rd payment due"),
        ("do refunds always arrive", "do refunds sometimes arrive"),
        ("why was my transfer not accepted", "why was my transfer accepted"),
        ("what should i eat before a run", "what should i avoid before a run"),
        ("convert usd to eur", "convert eur to usd"),
        ("send money from paris bank to london bank", "send money from london bank to paris bank"),
        ("how long is the device warranty", "how long is the warranty on devices"),
    ];

    private static void WarmGuards()
    {
        foreach ((string question, string candidate) in GuardProbes)
        {
            _ = QuestionGuards.Compatible(question, candidate);
            _ = QuestionGuards.Compatible(candidate, question);
            _ = QuestionGuards.SameValues(question, candidate);
        }
    }

    private static float[] UnitVector(int seed, float noise)
    {
        var random = new Random(seed);
        var noiseSource = new Random(seed + 1);
        var v = new float[Dimensions];
        double norm = 0;
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)(random.NextDouble() - 0.5) + (noise * (float)(noiseSource.NextDouble() - 0.5));
            norm += v[i] * v[i];
        }

        float scale = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < v.Length; i++)
        {
            v[i] *= scale;
        }

        return v;
    }
}
