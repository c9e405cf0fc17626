using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// Diagnostic (--swap): lexical word-order probes on PAWS dev at similarity 0.90 (guards on), and what they would block
/// on BANKING77 nearest pairs. Not part of any shipped rule: none reached the PAWS target (see docs/semantic.md).
/// </summary>
internal static class SwapProbe
{
    public static void Run(IReadOnlyList<SentencePair> paws, IReadOnlyList<SentencePair> stsb, IReadOnlyList<LabeledQuery> stream, EmbeddingStore emb)
    {
        var buckets = new SortedDictionary<string, (int Pos, int Neg)>(StringComparer.Ordinal);
        foreach (SentencePair p in paws)
        {
            float sim = TensorPrimitives.CosineSimilarity(emb[p.First], emb[p.Second]);
            string a = QuestionNormalizer.Normalize(p.Second), b = QuestionNormalizer.Normalize(p.First);
            if (sim < 0.90f || !QuestionGuards.Compatible(a, b)) continue;
            List<string> ta = QuestionGuards.Tokenize(a), tb = QuestionGuards.Tokenize(b);
            bool bagEq = ta.Order(StringComparer.Ordinal).SequenceEqual(tb.Order(StringComparer.Ordinal));
            double lcs = Lcs(ta, tb) / (double)Math.Max(ta.Count, tb.Count);
            string key = $"bag {(bagEq ? "same" : "diff")} lcs {Math.Floor(lcs * 10) / 10:F1}";
            var c = buckets.GetValueOrDefault(key);
            buckets[key] = p.Paraphrase ? (c.Pos + 1, c.Neg) : (c.Pos, c.Neg + 1);
        }
        foreach (var (k, c) in buckets) Console.WriteLine($"{k}: para {c.Pos} non-para {c.Neg}");
        foreach (int mode in new[] { 0, 1, 2, 3 })
        {
            int pos = 0, posKept = 0, neg = 0, negServed = 0;
            foreach (SentencePair p in paws)
            {
                float sim = TensorPrimitives.CosineSimilarity(emb[p.First], emb[p.Second]);
                if (sim < 0.90f) { if (p.Paraphrase) pos++; else neg++; continue; }
                string a = QuestionNormalizer.Normalize(p.Second), b = QuestionNormalizer.Normalize(p.First);
                bool ok = QuestionGuards.Compatible(a, b) && !Exchanged(QuestionGuards.Tokenize(a), QuestionGuards.Tokenize(b), mode);
                if (p.Paraphrase) { pos++; posKept += ok ? 1 : 0; } else { neg++; negServed += ok ? 1 : 0; }
            }

            // BANKING77: nearest earlier question >= 0.80, how many true / false pairs the probe blocks
            int trueBlocked = 0, falseBlocked = 0, tot = 0;
            for (int i = 1; i < stream.Count; i += 2)
            {
                float[] v = emb[stream[i].Text];
                int bj = 0; float best = -1;
                for (int j = 0; j < i; j++) { float s = TensorPrimitives.Dot(v, emb[stream[j].Text]); if (s > best) { best = s; bj = j; } }
                if (best < 0.80f) continue;
                tot++;
                if (Exchanged(QuestionGuards.Tokenize(QuestionNormalizer.Normalize(stream[i].Text)), QuestionGuards.Tokenize(QuestionNormalizer.Normalize(stream[bj].Text)), mode))
                {
                    if (stream[i].Label == stream[bj].Label) trueBlocked++; else falseBlocked++;
                }
            }

            Console.WriteLine($"mode {mode}: PAWS@0.90 guarded+probe negatives served {(double)negServed / neg:P1} paraphrases kept {(double)posKept / pos:P1}; BANKING pairs {tot}: blocks true {trueBlocked} false {falseBlocked}");
        }
    }

    public static int Lcs(List<string> a, List<string> b)
    {
        var d = new int[a.Count + 1, b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
            for (int j = 1; j <= b.Count; j++)
                d[i, j] = a[i - 1] == b[j - 1] ? d[i - 1, j - 1] + 1 : Math.Max(d[i - 1, j], d[i, j - 1]);
        return d[a.Count, b.Count];
    }

    /// <summary>Two distinct shared tokens u, v whose contexts are exchanged: u's neighbours in B are v's neighbours in A, and the reverse.</summary>
    public static bool Exchanged(List<string> a, List<string> b, int mode)
    {
        var posA = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < a.Count; i++) posA.TryAdd(a[i], i);
        var posB = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < b.Count; i++) posB.TryAdd(b[i], i);
        string Ctx(List<string> s, int i, int side) => side < 0 ? (i > 0 ? s[i - 1] : "^") : (i + 1 < s.Count ? s[i + 1] : "$");
        var shared = posA.Keys.Where(posB.ContainsKey).ToList();
        foreach (string u in shared)
        {
            foreach (string v in shared)
            {
                if (string.CompareOrdinal(u, v) >= 0) continue;
                int ua = posA[u], va = posA[v], ub = posB[u], vb = posB[v];
                if (Math.Abs(ua - va) < 2) continue;
                bool uL = Ctx(b, ub, -1) == Ctx(a, va, -1) && Ctx(a, va, -1) != Ctx(a, ua, -1);
                bool uR = Ctx(b, ub, 1) == Ctx(a, va, 1) && Ctx(a, va, 1) != Ctx(a, ua, 1);
                bool vL = Ctx(b, vb, -1) == Ctx(a, ua, -1) && Ctx(a, ua, -1) != Ctx(a, va, -1);
                bool vR = Ctx(b, vb, 1) == Ctx(a, ua, 1) && Ctx(a, ua, 1) != Ctx(a, va, 1);
                bool hit = mode switch
                {
                    0 => uL && uR && vL && vR,
                    1 => (uL || uR) && (vL || vR),
                    2 => (uL && uR) || (vL && vR),
                    _ => (uL && vL) || (uR && vR),
                };
                if (hit) return true;
            }
        }

        return false;
    }
}
