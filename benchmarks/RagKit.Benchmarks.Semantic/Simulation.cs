using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

internal sealed record StreamConfig(string Name, ISemanticMatchRule Rule, bool Clusters, double FeedbackRate);

internal sealed record StreamResult(string Config, float Threshold, int Queries, int Hits, int FalseHits, int Reports, double MicrosPerQuery, int Explores = 0, float Delta = 0)
{
    public double ExploreRate => (double)Explores / Queries;

    public double HitRate => (double)Hits / Queries;

    public double FalseHitRate => (double)FalseHits / Queries;

    public double Precision => Hits == 0 ? 1 : (double)(Hits - FalseHits) / Hits;

    /// <summary>Questions of held-out intents (never stored: out of scope for the cache) and how many of them were served.</summary>
    public int OutOfScope { get; init; }

    public int OutOfScopeHits { get; init; }
}

internal sealed record PairResult(string Data, string Rule, float Threshold, int Positives, int PositiveHits, int Negatives, int NegativeHits)
{
    public double Recall => (double)PositiveHits / Positives;

    public double NegativeHitRate => (double)NegativeHits / Negatives;
}

internal static class Simulation
{
    private static readonly ScopeKey Scope = new("bench", 1);

    /// <summary>
    /// Streams the queries through RagKit's real in-process semantic tier (USearch HNSW + rule). Each miss stores the
    /// query's own answer (<see cref="LabeledQuery.AnswerText"/>), with its answer embedding when
    /// <paramref name="answerVectors"/>; a hit whose answer belongs to another intent is false. Questions of
    /// <paramref name="heldOut"/> intents are asked but never stored (out of scope): every hit on them is false.
    /// </summary>
    public static StreamResult Stream(IReadOnlyList<LabeledQuery> queries, EmbeddingStore emb, StreamConfig config, float threshold, bool answerVectors = false, IReadOnlySet<string>? heldOut = null)
    {
        var labelOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (LabeledQuery q in queries)
        {
            labelOf[q.AnswerText] = q.Label;
        }

        using var cache = new InProcessSemanticCache(1_000_000, EvictionPolicyFactory.Lru, TimeProvider.System, config.Rule, config.Clusters);
        var rng = new Random(11);
        int hits = 0;
        int falseHits = 0;
        int reports = 0;
        int outOfScope = 0, outOfScopeHits = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (LabeledQuery q in queries)
        {
            string norm = QuestionNormalizer.Normalize(q.Text);
            float[] v = emb[q.Text];
            bool held = heldOut?.Contains(q.Label) == true;
            outOfScope += held ? 1 : 0;
            SemanticCacheHit? hit = cache.FindAsync(new SemanticQuery(Scope, norm, v, threshold), default).Result;
            if (held)
            {
                if (hit is not null)
                {
                    hits++;
                    falseHits++;
                    outOfScopeHits++;
                }

                continue;
            }

            if (hit is not null)
            {
                hits++;
                if (string.Equals(labelOf[hit.Answer.Text], q.Label, StringComparison.Ordinal))
                {
                    continue;
                }

                falseHits++;
                if (config.FeedbackRate <= 0 || rng.NextDouble() >= config.FeedbackRate)
                {
                    continue;
                }

                // Simulated ReportWrongAnswer: the pipeline removes the question's entries and tightens the neighbourhood;
                // the user asks again and gets a generated answer, which is stored.
                reports++;
                _ = cache.RemoveAsync(Scope, norm, default).Result;
                cache.Penalize(Scope, v, threshold);
            }

            CachedAnswer answer = Answer(norm, q.AnswerText, answerVectors && q.Response is not null ? emb[EmbeddingStore.AnswerKey(q.Response)] : default);
            cache.StoreAsync(Scope, v, answer, default).AsTask().Wait();
        }

        return new StreamResult(config.Name, threshold, queries.Count, hits, falseHits, reports, sw.Elapsed.TotalMicroseconds / queries.Count)
        {
            OutOfScope = outOfScope,
            OutOfScopeHits = outOfScopeHits,
        };
    }

    /// <summary>
    /// The verified rule through the real tier: a hit is served (scored with the label); an explore is a miss whose
    /// generated answer (the query's intent) is compared with the cached one (the verifier: same intent = same
    /// answer) and recorded; reports simulate ReportWrongAnswer for a share of false hits. Labels are used for
    /// nothing else.
    /// </summary>
    public static StreamResult StreamVerified(IReadOnlyList<LabeledQuery> queries, EmbeddingStore emb, string name, float threshold, float delta, double reportRate, bool guards, double entryWeight = 4, int priorStrength = 5, float z = 1f, bool vote = true, float floor = 0.80f, double minEvidence = 20)
    {
        var rule = new VerifiedMatchRule(delta, z, priorStrength, entryWeight, guards) { Vote = vote, Floor = floor, MinEvidence = minEvidence };
        floor = threshold;
        using var cache = new InProcessSemanticCache(1_000_000, EvictionPolicyFactory.Lru, TimeProvider.System, rule, false);
        var rng = new Random(11);
        int hits = 0, falseHits = 0, reports = 0, explores = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (LabeledQuery q in queries)
        {
            string norm = QuestionNormalizer.Normalize(q.Text);
            float[] v = emb[q.Text];
            SemanticCacheHit? hit = cache.Find(new SemanticQuery(Scope, norm, v, floor), out SemanticExploration ex);
            if (hit is not null)
            {
                hits++;
                if (string.Equals(hit.Answer.Text, q.Label, StringComparison.Ordinal))
                {
                    continue;
                }

                falseHits++;
                if (reportRate <= 0 || rng.NextDouble() >= reportRate)
                {
                    continue;
                }

                reports++;
                _ = cache.RemoveAsync(Scope, norm, default).Result;
                cache.Penalize(Scope, v, floor);
                cache.Store(Scope, v, Answer(norm, q.Label), default);
                continue;
            }

            if (ex.IsExplore)
            {
                explores++;
                bool same = string.Equals(ex.Answer!.Text, q.Label, StringComparison.Ordinal);
                cache.RecordVerification(ex, same);
                cache.Store(Scope, v, Answer(norm, q.Label), same ? ex : default);
                continue;
            }

            cache.Store(Scope, v, Answer(norm, q.Label), default);
        }

        if (Environment.GetEnvironmentVariable("RAGKIT_DUMP") == "1")
        {
            for (int k = 0; k < NeighbourhoodClass.Count; k++)
            {
                var sb = new System.Text.StringBuilder($"class {k}:");
                for (int b = 30; b < 50; b += 2)
                {
                    (long c1, long w1) = rule.Counts(k, b);
                    (long c2, long w2) = rule.Counts(k, b + 1);
                    sb.Append($" {0.5 + (b / 100.0):F2}:{w1 + w2}/{c1 + c2 + w1 + w2}");
                }

                Console.WriteLine(sb);
            }
        }

        return new StreamResult(name, floor, queries.Count, hits, falseHits, reports, sw.Elapsed.TotalMicroseconds / queries.Count, explores, delta);
    }

    /// <summary>The README's procedure by exact scan (no index): nearest cached query, hit when similarity ≥ t.</summary>
    public static StreamResult StaticExact(IReadOnlyList<LabeledQuery> queries, EmbeddingStore emb, float threshold)
    {
        var cached = new List<(float[] V, string Label)>();
        int hits = 0;
        int falseHits = 0;
        foreach (LabeledQuery q in queries)
        {
            float[] v = emb[q.Text];
            float best = float.NegativeInfinity;
            string? label = null;
            foreach ((float[] c, string l) in cached)
            {
                float s = TensorPrimitives.Dot(v, c);
                if (s > best)
                {
                    best = s;
                    label = l;
                }
            }

            if (best >= threshold)
            {
                hits++;
                if (label != q.Label)
                {
                    falseHits++;
                }
            }
            else
            {
                cached.Add((v, q.Label));
            }
        }

        return new StreamResult("static (exact scan)", threshold, queries.Count, hits, falseHits, 0, 0);
    }

    /// <summary>Pair data: insert the first sentence, query the second.</summary>
    public static PairResult Pairs(string data, IReadOnlyList<SentencePair> pairs, EmbeddingStore emb, ISemanticMatchRule rule, float threshold)
    {
        int pos = 0, posHits = 0, neg = 0, negHits = 0;
        foreach (SentencePair p in pairs)
        {
            float[] a = emb[p.First];
            float[] b = emb[p.Second];
            float sim = TensorPrimitives.CosineSimilarity(b, a);
            var c = new SemanticMatchCandidate(QuestionNormalizer.Normalize(p.Second), b, QuestionNormalizer.Normalize(p.First), a, sim, threshold, default);
            bool hit = rule.Accept(c);
            if (p.Paraphrase)
            {
                pos++;
                posHits += hit ? 1 : 0;
            }
            else
            {
                neg++;
                negHits += hit ? 1 : 0;
            }
        }

        return new PairResult(data, rule.Name, threshold, pos, posHits, neg, negHits);
    }

    /// <summary>
    /// Pair data through a verified rule, online: pairs in a seeded random order; a served pair is scored; an explored
    /// pair's label is the verifier outcome (same answer = paraphrase) and is recorded in the rule's prior. No entry
    /// data (each pair is a fresh entry), neighbourhood "alone".
    /// </summary>
    public static PairResult PairsVerified(string data, IReadOnlyList<SentencePair> pairs, EmbeddingStore emb, float threshold, float delta, out double exploreRate)
    {
        var rule = new VerifiedMatchRule(delta);
        var order = new List<SentencePair>(pairs);
        Data.Shuffle(order, 7);
        int pos = 0, posHits = 0, neg = 0, negHits = 0, explores = 0;
        foreach (SentencePair p in order)
        {
            float[] a = emb[p.First];
            float[] b = emb[p.Second];
            float sim = TensorPrimitives.CosineSimilarity(b, a);
            SemanticDecision d = rule.Decide(QuestionNormalizer.Normalize(p.Second), QuestionNormalizer.Normalize(p.First), sim, threshold, 0, NeighbourhoodClass.Alone, null);
            if (d == SemanticDecision.Explore)
            {
                explores++;
                rule.Record(sim, NeighbourhoodClass.Alone, p.Paraphrase);
            }

            bool hit = d == SemanticDecision.Serve;
            if (p.Paraphrase)
            {
                pos++;
                posHits += hit ? 1 : 0;
            }
            else
            {
                neg++;
                negHits += hit ? 1 : 0;
            }
        }

        exploreRate = (double)explores / order.Count;
        return new PairResult(data, rule.Name, threshold, pos, posHits, neg, negHits);
    }

    /// <summary>Fills a rule's prior with verification outcomes of the stream's nearest-earlier-query pairs (0.80 and up).</summary>
    public static void Train(VerifiedMatchRule rule, IReadOnlyList<LabeledQuery> stream, EmbeddingStore emb)
    {
        for (int i = 1; i < stream.Count; i += 3)
        {
            float[] v = emb[stream[i].Text];
            float best = float.NegativeInfinity;
            int bestJ = 0;
            for (int j = 0; j < i; j++)
            {
                float s = TensorPrimitives.Dot(v, emb[stream[j].Text]);
                if (s > best)
                {
                    best = s;
                    bestJ = j;
                }
            }

            if (best >= 0.80f)
            {
                rule.Record(best, NeighbourhoodClass.Alone, stream[i].Label == stream[bestJ].Label);
            }
        }
    }

    public static CachedAnswer Answer(string question, string text, ReadOnlyMemory<float> answerEmbedding = default) => new()
    {
        AnswerEmbedding = answerEmbedding,
        Question = question,
        ScopeId = Scope.Id,
        Text = text,
        Citations = [],
        Provenance = [],
        CreatedAt = DateTimeOffset.UnixEpoch,
        ExpiresAt = DateTimeOffset.MaxValue,
    };

    /// <summary>Static hit rate at a given false-hit rate, linearly interpolated on the static curve.</summary>
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
