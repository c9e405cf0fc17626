using System.Globalization;
using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// Which questions a static threshold serves from another intent (--confusions, train streams only): the stream is
/// replayed with insert on miss, and every false hit is printed with its similarity and whether the guards pass it.
/// </summary>
internal static class Confusions
{
    public static void Run(string name, List<LabeledQuery> stream, EmbeddingStore emb, float threshold)
    {
        var stored = new List<LabeledQuery>();
        var byPair = new Dictionary<string, int>(StringComparer.Ordinal);
        int hits = 0, falseHits = 0, guarded = 0;
        foreach (LabeledQuery q in stream)
        {
            float[] v = emb[q.Text];
            LabeledQuery? best = null;
            float bs = -1;
            foreach (LabeledQuery c in stored)
            {
                float s = TensorPrimitives.Dot(v, emb[c.Text]);
                if (s > bs)
                {
                    bs = s;
                    best = c;
                }
            }

            if (best is null || bs < threshold)
            {
                stored.Add(q);
                continue;
            }

            hits++;
            if (best.Label != q.Label)
            {
                falseHits++;
                string nq = QuestionNormalizer.Normalize(q.Text), nc = QuestionNormalizer.Normalize(best.Text);
                bool pass = nq == nc || QuestionGuards.Compatible(nq, nc);
                guarded += pass ? 0 : 1;
                string key = string.CompareOrdinal(q.Label, best.Label) < 0 ? $"{q.Label} ~ {best.Label}" : $"{best.Label} ~ {q.Label}";
                byPair[key] = byPair.GetValueOrDefault(key) + 1;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bs:F3} {(pass ? "PASS " : "block")} [{q.Label}] {q.Text}  <=  [{best.Label}] {best.Text}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} static {threshold:F2}: {hits} hits, {falseHits} false ({guarded} blocked by the guards)"));
        foreach (var kv in byPair.OrderByDescending(k => k.Value))
        {
            Console.WriteLine($"  {kv.Value,4} {kv.Key}");
        }
    }
}

/// <summary>
/// What the PAWS pairs a threshold serves look like (--paws-served, PAWS dev): pairs at pooled similarity ≥ 0.90 that the
/// guards pass, split by label, against lexical order features (same bag of words; longest common token subsequence
/// over the shorter length; words whose neighbours changed).
/// </summary>
internal static class PawsServed
{
    public static void Run(List<SentencePair> pairs, EmbeddingStore emb)
    {
        var rows = new List<(bool Para, bool SameBag, double Lcs, double Moved, int Exchanged)>();
        int paras = pairs.Count(p => p.Paraphrase), nons = pairs.Count - paras;
        foreach (SentencePair p in pairs)
        {
            if (TensorPrimitives.Dot(emb[p.First], emb[p.Second]) < 0.90f)
            {
                continue;
            }

            string a = QuestionNormalizer.Normalize(p.First), b = QuestionNormalizer.Normalize(p.Second);
            if (a != b && !QuestionGuards.Compatible(a, b))
            {
                continue;
            }

            string[] ta = [.. QuestionGuards.Tokenize(a)], tb = [.. QuestionGuards.Tokenize(b)];
            bool sameBag = ta.Order(StringComparer.Ordinal).SequenceEqual(tb.Order(StringComparer.Ordinal));
            rows.Add((p.Paraphrase, sameBag, Lcs(ta, tb) / (double)Math.Min(ta.Length, tb.Length), Moved(ta, tb), Exchanged(ta, tb)));
            if (Environment.GetEnvironmentVariable("RAGKIT_SHOW") == "1" && Exchanged(ta, tb) > 0)
            {
                Console.WriteLine($"    {(p.Paraphrase ? "PARA" : "non ")} {a}\n         {b}");
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PAWS dev served at 0.90 with guards: {rows.Count(r => r.Para)} of {paras} paraphrases, {rows.Count(r => !r.Para)} of {nons} non-paraphrases"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  same bag of words: {rows.Count(r => r.Para && r.SameBag)} paraphrases, {rows.Count(r => !r.Para && r.SameBag)} non-paraphrases"));
        foreach (double t in new[] { 0.6, 0.7, 0.8, 0.85, 0.9, 0.95 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  blocked when LCS share < {t:F2}: {rows.Count(r => r.Para && r.Lcs < t)} paraphrases, {rows.Count(r => !r.Para && r.Lcs < t)} non-paraphrases; same bag and LCS < {t:F2}: {rows.Count(r => r.Para && r.SameBag && r.Lcs < t)} / {rows.Count(r => !r.Para && r.SameBag && r.Lcs < t)}"));
        }

        for (int k = 1; k <= 3; k++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  blocked when >= {k} exchanges of context: {rows.Count(r => r.Para && r.Exchanged >= k)} paraphrases, {rows.Count(r => !r.Para && r.Exchanged >= k)} non-paraphrases"));
        }

        foreach (double t in new[] { 0.05, 0.1, 0.15, 0.2, 0.3 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  blocked when moved share > {t:F2}: {rows.Count(r => r.Para && r.Moved > t)} paraphrases, {rows.Count(r => !r.Para && r.Moved > t)} non-paraphrases"));
        }
    }

    /// <summary>
    /// Pairs of content words (once on each side) that trade contexts: the content word before x in b is the one before
    /// y in a and the other way round (or the same with the word after). An entity moved into another's role, as in
    /// "headquarters in arlington ... office in paris" / "headquarters in paris ... office in arlington".
    /// </summary>
    internal static int Exchanged(string[] a, string[] b)
    {
        static bool Content(string w) => w.Length > 1 && !QuestionGuards.Stopwords.Contains(w) && char.IsLetterOrDigit(w[0]);
        string[] ca = [.. a.Where(Content)], cb = [.. b.Where(Content)];
        var onceA = ca.GroupBy(x => x).Where(g => g.Count() == 1).Select(g => g.Key).ToHashSet();
        var onceB = cb.GroupBy(x => x).Where(g => g.Count() == 1).Select(g => g.Key).ToHashSet();
        var shared = onceA.Where(onceB.Contains).ToList();
        int ia(string w) => Array.IndexOf(ca, w);
        int ib(string w) => Array.IndexOf(cb, w);
        string? Prev(string[] c, int i) => i > 0 ? c[i - 1] : "^";
        string? Next(string[] c, int i) => i < c.Length - 1 ? c[i + 1] : "$";
        int n = 0;
        for (int x = 0; x < shared.Count; x++)
        {
            for (int y = x + 1; y < shared.Count; y++)
            {
                int ax = ia(shared[x]), ay = ia(shared[y]), bx = ib(shared[x]), by = ib(shared[y]);
                if (Math.Abs(ax - ay) <= 1 || Math.Abs(bx - by) <= 1 || Math.Sign(ax - ay) == Math.Sign(bx - by))
                {
                    continue;
                }

                bool prev = Prev(cb, bx) == Prev(ca, ay) && Prev(cb, by) == Prev(ca, ax);
                bool next = Next(cb, bx) == Next(ca, ay) && Next(cb, by) == Next(ca, ax);
                if (prev || next)
                {
                    n++;
                }
            }
        }

        return n;
    }

    private static int Lcs(string[] a, string[] b)
    {
        int[,] d = new int[a.Length + 1, b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = a[i - 1] == b[j - 1] ? d[i - 1, j - 1] + 1 : Math.Max(d[i - 1, j], d[i, j - 1]);
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>Share of a's word bigrams whose two words both occur in b but not as that bigram.</summary>
    private static double Moved(string[] a, string[] b)
    {
        var bigrams = new HashSet<(string, string)>();
        for (int i = 1; i < b.Length; i++)
        {
            bigrams.Add((b[i - 1], b[i]));
        }

        var words = new HashSet<string>(b, StringComparer.Ordinal);
        int moved = 0, n = 0;
        for (int i = 1; i < a.Length; i++)
        {
            if (words.Contains(a[i - 1]) && words.Contains(a[i]))
            {
                n++;
                moved += bigrams.Contains((a[i - 1], a[i])) ? 0 : 1;
            }
        }

        return n == 0 ? 0 : (double)moved / n;
    }
}
