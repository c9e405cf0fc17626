using System.Diagnostics;
using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

internal sealed record CostResult(int Decisions, double StaticNs, double GuardedNs, double GuardedBorderlineNs, double StaticLookupUs, double GuardedLookupUs)
{
    public double VerifiedNs { get; init; }

    public double VerifiedGuardsNs { get; init; }

    public double VerifiedLookupUs { get; init; }

    public double NeighbourhoodLookupUs { get; init; }

    public double NeighbourhoodLookupBytes { get; init; }

    public double StaticBytes { get; init; }

    public double GuardedBytes { get; init; }

    public double VerifiedBytes { get; init; }

    public double VerifiedGuardsBytes { get; init; }

    public double StaticLookupBytes { get; init; }

    public double VerifiedLookupBytes { get; init; }
}

internal static class HotPath
{
    /// <summary>
    /// Times ISemanticMatchRule.Accept on real (query, nearest earlier query) pairs from the stream, and a whole
    /// FindAsync on a warm tier holding the first half of the stream, for the static and the guarded rule.
    /// </summary>
    public static CostResult Measure(IReadOnlyList<LabeledQuery> stream, EmbeddingStore emb)
    {
        var pairs = new List<SemanticMatchCandidate>();
        for (int i = 1; i < stream.Count && pairs.Count < 2000; i++)
        {
            float[] v = emb[stream[i].Text];
            int bestJ = 0;
            float best = float.NegativeInfinity;
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
                pairs.Add(new SemanticMatchCandidate(
                    QuestionNormalizer.Normalize(stream[i].Text), v, QuestionNormalizer.Normalize(stream[bestJ].Text), emb[stream[bestJ].Text], best, 0.80f, default));
            }
        }

        const int Rounds = 100;
        double staticNs = Time(SemanticMatchRules.Static, pairs, Rounds);
        double guardedNs = Time(SemanticMatchRules.Guarded, pairs, Rounds);
        double borderline = pairs.Count(p => p.Similarity < 0.95f) / (double)pairs.Count;

        // The verified rule, trained on the stream first (so it runs its estimate, not the cold-start path).
        var verified = new VerifiedMatchRule(0.02f, guards: false);
        var verifiedGuards = new VerifiedMatchRule(0.02f, guards: true);
        Simulation.Train(verified, stream, emb);
        Simulation.Train(verifiedGuards, stream, emb);
        double verifiedNs = Time(verified, pairs, Rounds);
        double verifiedGuardsNs = Time(verifiedGuards, pairs, Rounds);

        double staticUs = Lookup(stream, emb, SemanticMatchRules.Static, out double staticLookupBytes);
        double guardedUs = Lookup(stream, emb, SemanticMatchRules.Guarded, out _);
        double verifiedUs = Lookup(stream, emb, verified, out double verifiedLookupBytes);
        double neighbourhoodUs = Lookup(stream, emb, SemanticMatchRules.Neighbourhood(), out double neighbourhoodLookupBytes);
        return new CostResult(pairs.Count * Rounds, staticNs, guardedNs, borderline, staticUs, guardedUs)
        {
            VerifiedNs = verifiedNs,
            VerifiedGuardsNs = verifiedGuardsNs,
            VerifiedLookupUs = verifiedUs,
            NeighbourhoodLookupUs = neighbourhoodUs,
            NeighbourhoodLookupBytes = neighbourhoodLookupBytes,
            StaticBytes = Bytes(SemanticMatchRules.Static, pairs),
            GuardedBytes = Bytes(SemanticMatchRules.Guarded, pairs),
            VerifiedBytes = Bytes(verified, pairs),
            VerifiedGuardsBytes = Bytes(verifiedGuards, pairs),
            StaticLookupBytes = staticLookupBytes,
            VerifiedLookupBytes = verifiedLookupBytes,
        };
    }

    private static double Time(ISemanticMatchRule rule, List<SemanticMatchCandidate> pairs, int rounds)
    {
        int accepted = 0;
        foreach (SemanticMatchCandidate p in pairs)
        {
            accepted += rule.Accept(p) ? 1 : 0;
        }

        var sw = Stopwatch.StartNew();
        for (int r = 0; r < rounds; r++)
        {
            foreach (SemanticMatchCandidate p in pairs)
            {
                accepted += rule.Accept(p) ? 1 : 0;
            }
        }

        sw.Stop();
        GC.KeepAlive(accepted);
        return sw.Elapsed.TotalNanoseconds / (pairs.Count * (double)rounds);
    }

    private static double Bytes(ISemanticMatchRule rule, List<SemanticMatchCandidate> pairs)
    {
        int accepted = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (SemanticMatchCandidate p in pairs)
        {
            accepted += rule.Accept(p) ? 1 : 0;
        }

        long after = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(accepted);
        return (after - before) / (double)pairs.Count;
    }

    /// <summary>Whole lookups, static and default rule interleaved (steadier under load than one run each): --hotpath.</summary>
    public static void CompareLookups(IReadOnlyList<LabeledQuery> stream, EmbeddingStore emb)
    {
        var st = new List<double>();
        var nb = new List<double>();
        for (int r = 0; r < 5; r++)
        {
            st.Add(Lookup(stream, emb, SemanticMatchRules.Static, out _));
            nb.Add(Lookup(stream, emb, new RagKit.RagKitOptions().SemanticMatchRule, out double bytes));
            Console.WriteLine($"round {r}: static {st[^1]:F1} us, default rule {nb[^1]:F1} us ({bytes:F0} B/lookup)");
        }

        Console.WriteLine($"min: static {st.Min():F1} us, default rule {nb.Min():F1} us ({nb.Min() / st.Min():F2}x)");
    }

    private static double Lookup(IReadOnlyList<LabeledQuery> stream, EmbeddingStore emb, ISemanticMatchRule rule, out double bytesPerLookup)
    {
        var scope = new ScopeKey("bench", 1);
        using var cache = new InProcessSemanticCache(1_000_000, EvictionPolicyFactory.Lru, TimeProvider.System, rule, clusters: false);
        int half = stream.Count / 2;
        for (int i = 0; i < half; i++)
        {
            string n = QuestionNormalizer.Normalize(stream[i].Text);
            cache.StoreAsync(scope, emb[stream[i].Text], Simulation.Answer(n, stream[i].Label), default).AsTask().Wait();
        }

        var queries = stream.Skip(half).Select(q => new SemanticQuery(scope, QuestionNormalizer.Normalize(q.Text), emb[q.Text], 0.80f)).ToArray();
        int hits = 0;
        foreach (SemanticQuery q in queries)
        {
            hits += cache.FindAsync(q, default).Result is null ? 0 : 1;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        foreach (SemanticQuery q in queries)
        {
            hits += cache.Find(q, out _) is null ? 0 : 1;
        }

        bytesPerLookup = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)queries.Length;
        var sw = Stopwatch.StartNew();
        const int Rounds = 5;
        for (int r = 0; r < Rounds; r++)
        {
            foreach (SemanticQuery q in queries)
            {
                hits += cache.FindAsync(q, default).Result is null ? 0 : 1;
            }
        }

        sw.Stop();
        GC.KeepAlive(hits);
        return sw.Elapsed.TotalMicroseconds / (queries.Length * (double)Rounds);
    }
}
