using System.Globalization;
using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// Exact-scan probe of answer-equivalence functions for the neighbourhood rule (--answer-probe, train streams only): the
/// rule's decision (16 nearest stored questions, margin to the nearest different answer, support within 0.10, guards)
/// replayed with "same answer" decided pairwise at lookup by each function, against the static curve of the same
/// stream. Answers to decide which equivalence to build into the tier, before building it.
/// </summary>
internal static class AnswerEquivalenceProbe
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Run(string name, List<LabeledQuery> stream, EmbeddingStore emb)
    {
        var words = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string> W(string a) => words.TryGetValue(a, out var w) ? w : words[a] = AnswerSignal.Words(a);
        var values = new Dictionary<(string, string), bool>();
        bool Same(string a, string b) => values.TryGetValue((a, b), out bool s) ? s : values[(a, b)] = QuestionGuards.SameValues(a, b);

        var statics = new List<(double Hit, double False)>();
        foreach (float t in Enumerable.Range(0, 28).Select(i => 0.70f + (0.01f * i)))
        {
            statics.Add(Replay(stream, emb, (s, i, nb) => s >= t ? 1 : 0, null));
        }

        Console.WriteLine($"{name}: static " + string.Join(" ", statics.Select((x, i) => string.Create(Inv, $"{0.70 + (0.01 * i):F2}:{x.Hit:P1}/{x.False:P2}"))));
        var variants = new List<(string Name, Func<LabeledQuery, LabeledQuery, bool>? Eq)>
        {
            ("text", null),
            ("oracle: same intent (an upper bound, not a rule)", (a, b) => a.Label == b.Label),
        };
        foreach (float tau in new[] { 0.70f })
        {
            variants.Add(($"answer cosine >= {tau:F2} + same values", (a, b) => TensorPrimitives.CosineSimilarity(emb[EmbeddingStore.AnswerKey(a.Response!)], emb[EmbeddingStore.AnswerKey(b.Response!)]) >= tau && Same(a.Response!, b.Response!)));
        }

        var prints = new Dictionary<string, ulong>(StringComparer.Ordinal);
        ulong F(string a) => prints.TryGetValue(a, out ulong f) ? f : prints[a] = QuestionGuards.ValuesFingerprint(a);
        foreach (float tau in new[] { 0.50f, 0.60f, 0.70f, 0.80f })
        {
            variants.Add(($"answer cosine >= {tau:F2} + same value fingerprint", (a, b) => F(a.Response!) == F(b.Response!) && TensorPrimitives.CosineSimilarity(emb[EmbeddingStore.AnswerKey(a.Response!)], emb[EmbeddingStore.AnswerKey(b.Response!)]) >= tau));
        }

        foreach (float tau in new[] { 0.20f, 0.25f, 0.30f, 0.40f })
        {
            variants.Add(($"answer word overlap >= {tau:F2} + same value fingerprint", (a, b) => F(a.Response!) == F(b.Response!) && AnswerSignal.Jaccard(W(a.Response!), W(b.Response!)) >= tau));
            variants.Add(($"answer word overlap >= {tau:F2}", (a, b) => AnswerSignal.Jaccard(W(a.Response!), W(b.Response!)) >= tau));
        }

        foreach (float loose in new[] { 0.30f, 0.40f, 0.50f, 0.60f })
        {
            foreach (float strict in new[] { 0.70f, 0.80f })
            {
                foreach (float margin in new[] { 0.06f, 0.10f })
                {
                    Func<LabeledQuery, LabeledQuery, bool> sameStrict = (a, b) => F(a.Response!) == F(b.Response!) && TensorPrimitives.CosineSimilarity(emb[EmbeddingStore.AnswerKey(a.Response!)], emb[EmbeddingStore.AnswerKey(b.Response!)]) >= strict;
                    Func<LabeledQuery, LabeledQuery, bool> other = (a, b) => F(a.Response!) != F(b.Response!) || TensorPrimitives.CosineSimilarity(emb[EmbeddingStore.AnswerKey(a.Response!)], emb[EmbeddingStore.AnswerKey(b.Response!)]) < loose;
                    (double hit, double fh) = Replay(stream, emb, null, (0.82f, margin, sameStrict), 0, other);
                    double st = Interpolate(statics, fh);
                    Console.WriteLine(string.Create(Inv, $"  three-way: support at answer cosine >= {strict:F2} + fingerprint, a different answer below {loose:F2} or other values, margin {margin:F2}: {hit:P1} / {fh:P2}, static {st:P1}, ratio {hit / st:F2}"));
                }
            }
        }

        if (Environment.GetEnvironmentVariable("RAGKIT_THREEWAY_ONLY") == "1")
        {
            return;
        }

        foreach ((string vn, Func<LabeledQuery, LabeledQuery, bool>? eq) in variants)
        {
            foreach (float floor in new[] { 0.82f })
            {
                foreach (float margin in new[] { 0.06f, 0.10f })
                {
                    Func<LabeledQuery, LabeledQuery, bool> same = eq ?? ((a, b) => a.AnswerText == b.AnswerText);
                    foreach (int mode in vn.StartsWith("answer cosine", StringComparison.Ordinal) && vn.Contains("fingerprint", StringComparison.Ordinal) ? new[] { 0, 1, 2 } : new[] { 0 })
                    {
                        (double hit, double fh) = Replay(stream, emb, null, (floor, margin, same), mode);
                        double st = Interpolate(statics, fh);
                        string how = mode switch { 0 => "pairwise", 1 => "linked within the neighbourhood", _ => "clusters joined on insert (union)" };
                        Console.WriteLine(string.Create(Inv, $"  {vn} ({how}), floor {floor:F2}, margin {margin:F2}: {hit:P1} / {fh:P2}, static {st:P1}, ratio {hit / st:F2}"));
                    }
                }
            }
        }
    }

    private static (double Hit, double False) Replay(List<LabeledQuery> stream, EmbeddingStore emb, Func<float, int, List<(float S, LabeledQuery Q)>, int>? staticRule,
        (float Floor, float Margin, Func<LabeledQuery, LabeledQuery, bool> Same)? hood, int mode = 0, Func<LabeledQuery, LabeledQuery, bool>? competitor = null)
    {
        var stored = new List<LabeledQuery>();
        var parent = new Dictionary<LabeledQuery, LabeledQuery>(ReferenceEqualityComparer.Instance);
        LabeledQuery Root(LabeledQuery x)
        {
            while (parent.TryGetValue(x, out LabeledQuery? p) && !ReferenceEquals(p, x))
            {
                x = p;
            }

            return x;
        }
        int hits = 0, falseHits = 0;
        var nb = new List<(float S, LabeledQuery Q)>();
        foreach (LabeledQuery q in stream)
        {
            float[] v = emb[q.Text];
            nb.Clear();
            foreach (LabeledQuery c in stored)
            {
                nb.Add((TensorPrimitives.Dot(v, emb[c.Text]), c));
            }

            nb.Sort((x, y) => y.S.CompareTo(x.S));
            if (nb.Count > 16)
            {
                nb.RemoveRange(16, nb.Count - 16);
            }

            LabeledQuery? served = null;
            if (staticRule is not null)
            {
                served = nb.Count > 0 && staticRule(nb[0].S, 0, nb) == 1 ? nb[0].Q : null;
            }
            else
            {
                (float floor, float margin, Func<LabeledQuery, LabeledQuery, bool> pairSame) = hood!.Value;
                Func<LabeledQuery, LabeledQuery, bool> same = pairSame;
                if (mode == 1)
                {
                    // Connected components of the pairwise links among the neighbours.
                    var comp = new Dictionary<LabeledQuery, int>(ReferenceEqualityComparer.Instance);
                    for (int x = 0; x < nb.Count; x++)
                    {
                        comp[nb[x].Q] = x;
                    }

                    bool changed = true;
                    while (changed)
                    {
                        changed = false;
                        for (int x = 0; x < nb.Count; x++)
                        {
                            for (int y = x + 1; y < nb.Count; y++)
                            {
                                if (comp[nb[x].Q] != comp[nb[y].Q] && pairSame(nb[x].Q, nb[y].Q))
                                {
                                    int from = Math.Max(comp[nb[x].Q], comp[nb[y].Q]), to = Math.Min(comp[nb[x].Q], comp[nb[y].Q]);
                                    foreach (var (S, Q) in nb)
                                    {
                                        if (comp[Q] == from)
                                        {
                                            comp[Q] = to;
                                        }
                                    }

                                    changed = true;
                                }
                            }
                        }
                    }

                    same = (a, b) => comp[a] == comp[b];
                }
                else if (mode == 2)
                {
                    same = (a, b) => ReferenceEquals(Root(a), Root(b));
                }

                string nq = QuestionNormalizer.Normalize(q.Text);
                for (int i = 0; i < nb.Count && nb[i].S >= floor; i++)
                {
                    float s = nb[i].S;
                    float other = float.NaN;
                    int support = 0;
                    for (int j = 0; j < nb.Count; j++)
                    {
                        if (j == i)
                        {
                            continue;
                        }

                        if (competitor is not null && !same(nb[i].Q, nb[j].Q) && !competitor(nb[i].Q, nb[j].Q))
                        {
                            continue; // neither clearly the same answer nor clearly another one
                        }

                        if (!same(nb[i].Q, nb[j].Q))
                        {
                            if (float.IsNaN(other))
                            {
                                other = nb[j].S;
                            }
                        }
                        else if (nb[j].S >= s - 0.10f)
                        {
                            support++;
                        }
                    }

                    if (float.IsNaN(other))
                    {
                        other = nb.Count == 16 ? nb[^1].S : -1;
                    }

                    if (s - other < margin || (s < 0.90f && support < 1))
                    {
                        continue;
                    }

                    string nc = QuestionNormalizer.Normalize(nb[i].Q.Text);
                    if (nq != nc && !QuestionGuards.Compatible(nq, nc))
                    {
                        continue;
                    }

                    served = nb[i].Q;
                    break;
                }
            }

            if (served is not null)
            {
                hits++;
                falseHits += served.Label == q.Label ? 0 : 1;
            }
            else
            {
                if (mode == 2 && hood is { } h)
                {
                    // Union with every cluster among the new question's neighbours whose answer is linked.
                    parent[q] = q;
                    foreach ((float _, LabeledQuery c) in nb)
                    {
                        if (h.Same(q, c))
                        {
                            LabeledQuery rq = Root(q), rc = Root(c);
                            if (!ReferenceEquals(rq, rc))
                            {
                                parent[rq] = rc;
                            }
                        }
                    }
                }

                stored.Add(q);
            }
        }

        return ((double)hits / stream.Count, (double)falseHits / stream.Count);
    }

    /// <summary>
    /// The tier's own equivalence, replayed exactly (--answer-probe --join): on insert, a new answer joins the answer
    /// cluster of the neighbour (among the question's 16 nearest stored questions) whose answer vector — or, with
    /// <paramref name="centroid"/>, whose cluster's mean answer vector — is the most similar, at cosine ≥
    /// <paramref name="tau"/> with the same value fingerprint; else it starts its own. A dense neighbourhood (at least
    /// <paramref name="denseSupport"/> same-answer neighbours within the support window) may serve down to
    /// <paramref name="denseFloor"/>.
    /// </summary>
    public static void RunJoin(string name, List<LabeledQuery> stream, EmbeddingStore emb)
    {
        var statics = new List<(double Hit, double False)>();
        foreach (float t in Enumerable.Range(0, 28).Select(i => 0.70f + (0.01f * i)))
        {
            statics.Add(Replay(stream, emb, (s, i, nb) => s >= t ? 1 : 0, null));
        }

        var prints = new Dictionary<string, ulong>(StringComparer.Ordinal);
        ulong F(string a) => prints.TryGetValue(a, out ulong f) ? f : prints[a] = QuestionGuards.ValuesFingerprint(a);
        Console.WriteLine($"{name}, answers '{EmbeddingStore.AnswerMode}', static: " + string.Join(" ", statics.Where((_, i) => i % 2 == 0).Select((x, i) => string.Create(Inv, $"{0.70 + (0.02 * i):F2}:{x.Hit:P1}/{x.False:P2}"))));
        string? spec = Environment.GetEnvironmentVariable("RAGKIT_JOIN");
        var settings = spec is null
            ? [.. from c in new[] { false, true } from tau in new[] { 0.50f, 0.60f, 0.70f, 0.80f, 0.85f } from m in new[] { 0.06f, 0.10f } select (c, tau, 0.82f, m, 0, 0.82f, 0f, -1f)]
            : spec.Split(' ').Select(x => x.Split(',')).Select(f => (f[0] == "c", float.Parse(f[1], Inv), float.Parse(f[2], Inv), float.Parse(f[3], Inv), int.Parse(f[4], Inv), float.Parse(f[5], Inv),
                f.Length > 6 ? float.Parse(f[6], Inv) : 0f, f.Length > 7 ? float.Parse(f[7], Inv) : -1f)).ToList();
        foreach ((bool centroid, float tau, float floor, float margin, int denseSupport, float denseFloor, float answerMargin, float questionMin) in settings)
        {
            (double hit, double fh, double link, double wrong) = ReplayJoin(stream, emb, F, centroid, tau, floor, margin, denseSupport, denseFloor, answerMargin, questionMin);
            double st = Interpolate(statics, fh);
            Console.WriteLine(string.Create(Inv, $"  {(centroid ? "centroid" : "nearest answer")} >= {tau:F2} (answer margin {answerMargin:F2}, questions >= {questionMin:F2}), floor {floor:F2}, margin {margin:F2}, dense {denseSupport}@{denseFloor:F2}: {hit:P1} / {fh:P2}, static {st:P1}, ratio {hit / st:F2} (joins {link:P1} of inserts, {wrong:P1} of them to another intent)"));
        }
    }

    private static (double Hit, double False, double Linked, double WrongLinks) ReplayJoin(List<LabeledQuery> stream, EmbeddingStore emb, Func<string, ulong> fingerprint,
        bool centroid, float tau, float floor, float margin, int denseSupport, float denseFloor, float answerMargin = 0, float questionMin = -1)
    {
        var stored = new List<LabeledQuery>();
        var clusterOf = new Dictionary<LabeledQuery, int>(ReferenceEqualityComparer.Instance);
        var sums = new List<float[]>();
        var labelsOf = new List<string>();
        int hits = 0, falseHits = 0, inserts = 0, links = 0, wrongLinks = 0;
        var nb = new List<(float S, LabeledQuery Q)>();
        float[] tmp = new float[384];
        foreach (LabeledQuery q in stream)
        {
            float[] v = emb[q.Text];
            nb.Clear();
            foreach (LabeledQuery c in stored)
            {
                nb.Add((TensorPrimitives.Dot(v, emb[c.Text]), c));
            }

            nb.Sort((x, y) => y.S.CompareTo(x.S));
            if (nb.Count > 16)
            {
                nb.RemoveRange(16, nb.Count - 16);
            }

            LabeledQuery? served = null;
            string nq = QuestionNormalizer.Normalize(q.Text);
            for (int i = 0; i < nb.Count && nb[i].S >= Math.Min(floor, denseSupport > 0 ? denseFloor : floor); i++)
            {
                float s = nb[i].S;
                int ci = clusterOf[nb[i].Q];
                float other = float.NaN;
                int support = 0;
                for (int j = 0; j < nb.Count; j++)
                {
                    if (j == i)
                    {
                        continue;
                    }

                    if (clusterOf[nb[j].Q] != ci)
                    {
                        if (float.IsNaN(other) && !(SkipBlocked && nb[j].S > s - margin && !Compatible(nq, nb[j].Q.Text)))
                        {
                            other = nb[j].S;
                        }
                    }
                    else if (nb[j].S >= s - 0.10f)
                    {
                        support++;
                    }
                }

                if (float.IsNaN(other))
                {
                    other = nb.Count == 16 ? nb[^1].S : -1;
                }

                bool dense = denseSupport > 0 && support >= denseSupport && s >= denseFloor;
                if (s - other < margin || (s < 0.90f && !dense && (s < floor || support < 1)))
                {
                    continue;
                }

                string nc = QuestionNormalizer.Normalize(nb[i].Q.Text);
                if (nq != nc && !QuestionGuards.Compatible(nq, nc))
                {
                    continue;
                }

                served = nb[i].Q;
                break;
            }

            if (served is not null)
            {
                hits++;
                falseHits += served.Label == q.Label ? 0 : 1;
                continue;
            }

            inserts++;
            float[] a = emb[EmbeddingStore.AnswerKey(q.Response!)];
            ulong fq = fingerprint(q.Response!);
            int best = -1;
            float bestSim = tau;
            float runnerUp = float.NegativeInfinity;
            var simByCluster = new Dictionary<int, float>();
            foreach ((float qs, LabeledQuery c) in nb)
            {
                if (fingerprint(c.Response!) != fq || qs < questionMin)
                {
                    continue;
                }

                float sim;
                if (centroid)
                {
                    sums[clusterOf[c]].CopyTo(tmp, 0);
                    sim = TensorPrimitives.CosineSimilarity(a, tmp);
                }
                else
                {
                    sim = TensorPrimitives.CosineSimilarity(a, emb[EmbeddingStore.AnswerKey(c.Response!)]);
                }

                int cc = clusterOf[c];
                simByCluster[cc] = Math.Max(sim, simByCluster.GetValueOrDefault(cc, float.NegativeInfinity));
                if (sim >= bestSim)
                {
                    bestSim = sim;
                    best = cc;
                }
            }

            if (best >= 0 && answerMargin > 0)
            {
                // The best cluster must be clearly better than any other cluster's best answer.
                foreach ((int cc, float sim) in simByCluster)
                {
                    if (cc != best)
                    {
                        runnerUp = Math.Max(runnerUp, sim);
                    }
                }

                if (bestSim - runnerUp < answerMargin)
                {
                    best = -1;
                }
            }

            if (best < 0)
            {
                best = sums.Count;
                sums.Add(new float[a.Length]);
                labelsOf.Add(q.Label);
            }
            else
            {
                links++;
                wrongLinks += labelsOf[best] == q.Label ? 0 : 1;
            }

            TensorPrimitives.Add(sums[best], a, sums[best]);
            clusterOf[q] = best;
            stored.Add(q);
        }

        return ((double)hits / stream.Count, (double)falseHits / stream.Count, (double)links / Math.Max(1, inserts), (double)wrongLinks / Math.Max(1, links));
    }

    /// <summary>RAGKIT_SKIP_BLOCKED=1: a different answer whose question the guards tell apart from the asked one is no competitor.</summary>
    private static readonly bool SkipBlocked = Environment.GetEnvironmentVariable("RAGKIT_SKIP_BLOCKED") == "1";

    private static bool Compatible(string normalizedQuestion, string candidate)
    {
        string nc = QuestionNormalizer.Normalize(candidate);
        return normalizedQuestion == nc || QuestionGuards.Compatible(normalizedQuestion, nc);
    }

    private static double Interpolate(List<(double Hit, double False)> curve, double f)
    {
        var pts = curve.OrderBy(x => x.False).ToList();
        if (f <= pts[0].False)
        {
            return pts[0].Hit * (pts[0].False == 0 ? 1 : f / pts[0].False);
        }

        for (int i = 1; i < pts.Count; i++)
        {
            if (f <= pts[i].False)
            {
                double w = (f - pts[i - 1].False) / (pts[i].False - pts[i - 1].False);
                return pts[i - 1].Hit + (w * (pts[i].Hit - pts[i - 1].Hit));
            }
        }

        return pts[^1].Hit;
    }
}
