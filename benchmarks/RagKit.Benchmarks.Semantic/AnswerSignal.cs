using System.Globalization;
using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// How well does each answer-equivalence signal tell "same answer" from "different answer" where the rule needs it
/// (--answer-signal, Bitext train only): for each query, its 16 nearest earlier queries above 0.70; for each such pair,
/// whether the two stored answers belong to the same intent, against their answer-embedding cosine, the cosine to the
/// neighbour's answer-cluster centroid (the mean answer vector of the earlier same-intent-looking answers) and the
/// content-word overlap of the two answers.
/// </summary>
internal static class AnswerSignal
{
    public static void Run(List<LabeledQuery> stream, EmbeddingStore emb)
    {
        var pairs = new List<(bool Same, float Cos, float Lex, bool Values, float Centered, float QCos, float Cross, float Tfidf)>();
        var words = stream.Select(q => Words(q.Response!)).ToList();
        var prints = stream.Select(q => QuestionGuards.ValuesFingerprint(q.Response!)).ToList();
        float[] mean = MeanAnswer(stream, emb);
        var wrongByPair = new Dictionary<string, int>(StringComparer.Ordinal);
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (HashSet<string> w in words)
        {
            foreach (string x in w)
            {
                df[x] = df.GetValueOrDefault(x) + 1;
            }
        }

        var tfidf = stream.Select(q => TfIdf(q.Response!, df, stream.Count)).ToList();
        for (int i = 1; i < stream.Count; i++)
        {
            float[] v = emb[stream[i].Text];
            var near = new List<(float S, int J)>();
            for (int j = 0; j < i; j++)
            {
                float s = TensorPrimitives.Dot(v, emb[stream[j].Text]);
                if (s >= 0.70f)
                {
                    near.Add((s, j));
                }
            }

            float[] a = emb[EmbeddingStore.AnswerKey(stream[i].Response!)];
            foreach ((float _, int j) in near.OrderByDescending(x => x.S).Take(16))
            {
                float[] b = emb[EmbeddingStore.AnswerKey(stream[j].Response!)];
                if (stream[i].Label != stream[j].Label && prints[i] == prints[j] && TensorPrimitives.CosineSimilarity(a, b) >= 0.75f)
                {
                    string key = string.CompareOrdinal(stream[i].Label, stream[j].Label) < 0 ? $"{stream[i].Label} ~ {stream[j].Label}" : $"{stream[j].Label} ~ {stream[i].Label}";
                    wrongByPair[key] = wrongByPair.GetValueOrDefault(key) + 1;
                }

                pairs.Add((stream[i].Label == stream[j].Label, TensorPrimitives.CosineSimilarity(a, b), Jaccard(words[i], words[j]),
                    prints[i] == prints[j], CenteredCosine(a, b, mean), TensorPrimitives.Dot(v, emb[stream[j].Text]),
                    Math.Min(TensorPrimitives.Dot(v, b) - TensorPrimitives.Dot(v, a), TensorPrimitives.Dot(emb[stream[j].Text], a) - TensorPrimitives.Dot(emb[stream[j].Text], b)), SparseCosine(tfidf[i], tfidf[j])));
            }
        }

        int same = pairs.Count(p => p.Same);
        Console.WriteLine("wrong links at answer cosine >= 0.75 with the same values, by intent pair: " + string.Join(", ", wrongByPair.OrderByDescending(k => k.Value).Take(12).Select(k => $"{k.Key} {k.Value}")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pairs.Count} neighbour pairs, {same} same intent"));
        foreach ((string name, Func<(bool Same, float Cos, float Lex, bool Values, float Centered, float QCos, float Cross, float Tfidf), float> f, float[] ts) in new (string, Func<(bool Same, float Cos, float Lex, bool Values, float Centered, float QCos, float Cross, float Tfidf), float>, float[])[]
        {
            ("tf-idf cosine of the answers' words", p => p.Tfidf, [0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f]),
            ("centered answer cosine (mean answer vector removed)", p => p.Centered, [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f]),
            ("cross relevance: min(q.a' - q.a, q'.a - q'.a')", p => p.Cross, [-0.3f, -0.2f, -0.15f, -0.1f, -0.07f, -0.05f, -0.03f, 0f]),
            ("answer cosine + question cosine - 1", p => p.Cos + p.QCos - 1, [0.3f, 0.4f, 0.5f, 0.6f, 0.7f]),
            ($"answer cosine ('{EmbeddingStore.AnswerMode}' answer vectors)", p => p.Cos, [0.5f, 0.6f, 0.65f, 0.7f, 0.75f, 0.8f, 0.85f, 0.9f]),
            ("answer word overlap", p => p.Lex, [0.1f, 0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.5f]),
        })
        {
            foreach (float t in ts)
            {
                int tp = pairs.Count(p => p.Same && f(p) >= t), fp = pairs.Count(p => !p.Same && f(p) >= t);
                int tpv = pairs.Count(p => p.Same && p.Values && f(p) >= t), fpv = pairs.Count(p => !p.Same && p.Values && f(p) >= t);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name} >= {t:F2}: same-intent recall {(double)tp / same:P1}, wrong links {fp} ({(double)fp / Math.Max(1, tp + fp):P2}); with the same value fingerprint: recall {(double)tpv / same:P1}, wrong {fpv}"));
            }
        }
    }

    internal static Dictionary<string, float> TfIdf(string text, Dictionary<string, int> df, int n)
    {
        var v = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (string w in QuestionGuards.Tokenize(QuestionNormalizer.Normalize(text)))
        {
            if (w.Length > 2 && !QuestionGuards.Stopwords.Contains(w))
            {
                v[w] = v.GetValueOrDefault(w) + 1;
            }
        }

        foreach (string w in v.Keys.ToList())
        {
            v[w] = (1 + MathF.Log(v[w])) * MathF.Log((float)n / (1 + df.GetValueOrDefault(w)));
        }

        float norm = MathF.Sqrt(v.Values.Sum(x => x * x));
        foreach (string w in v.Keys.ToList())
        {
            v[w] /= norm == 0 ? 1 : norm;
        }

        return v;
    }

    internal static float SparseCosine(Dictionary<string, float> a, Dictionary<string, float> b)
    {
        float dot = 0;
        foreach ((string w, float x) in a)
        {
            if (b.TryGetValue(w, out float y))
            {
                dot += x * y;
            }
        }

        return dot;
    }

    /// <summary>The mean of the stream's answer vectors: the direction every generated answer shares.</summary>
    internal static float[] MeanAnswer(List<LabeledQuery> stream, EmbeddingStore emb)
    {
        float[] mean = new float[384];
        foreach (LabeledQuery q in stream)
        {
            TensorPrimitives.Add(mean, emb[EmbeddingStore.AnswerKey(q.Response!)], mean);
        }

        TensorPrimitives.Divide(mean, stream.Count, mean);
        return mean;
    }

    internal static float CenteredCosine(float[] a, float[] b, float[] mean)
    {
        Span<float> x = stackalloc float[384];
        Span<float> y = stackalloc float[384];
        TensorPrimitives.Subtract(a, mean, x);
        TensorPrimitives.Subtract(b, mean, y);
        return TensorPrimitives.CosineSimilarity(x, y);
    }

    /// <summary>Content words of an answer (lower-cased letters and digits, stopwords out), placeholders included.</summary>
    internal static HashSet<string> Words(string text)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string w in QuestionGuards.Tokenize(QuestionNormalizer.Normalize(text)))
        {
            if (w.Length > 2 && !QuestionGuards.Stopwords.Contains(w))
            {
                set.Add(w);
            }
        }

        return set;
    }

    internal static float Jaccard(HashSet<string> a, HashSet<string> b)
    {
        int inter = a.Count(b.Contains);
        int union = a.Count + b.Count - inter;
        return union == 0 ? 0 : (float)inter / union;
    }
}
