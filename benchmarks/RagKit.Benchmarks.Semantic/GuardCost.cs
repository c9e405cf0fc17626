using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// Which guard costs true hits (--guard-cost, train streams only): for each query, its nearest earlier query above
/// 0.85; the guard code of the pair (now and with the previous guards), split by same / other intent.
/// </summary>
internal static class GuardCost
{
    public static void Run(string name, List<LabeledQuery> stream, EmbeddingStore emb)
    {
        var now = new Dictionary<(int Code, bool Same), int>();
        var before = new Dictionary<(string? Code, bool Same), int>();
        var examples = new Dictionary<int, List<string>>();
        int pairs = 0;
        for (int i = 1; i < stream.Count; i++)
        {
            float[] v = emb[stream[i].Text];
            int best = -1;
            float bestSim = 0.85f;
            for (int j = 0; j < i; j++)
            {
                float s = TensorPrimitives.Dot(v, emb[stream[j].Text]);
                if (s >= bestSim)
                {
                    bestSim = s;
                    best = j;
                }
            }

            if (best < 0)
            {
                continue;
            }

            pairs++;
            bool same = stream[i].Label == stream[best].Label;
            string q = QuestionNormalizer.Normalize(stream[i].Text), c = QuestionNormalizer.Normalize(stream[best].Text);
            int code = QuestionGuards.CheckCode(q, c);
            now[(code, same)] = now.GetValueOrDefault((code, same)) + 1;
            string? old = ReferenceGuards.Check(q, c);
            before[(old, same)] = before.GetValueOrDefault((old, same)) + 1;
            if (same && code != 0)
            {
                List<string> list = examples.TryGetValue(code, out List<string>? l) ? l : examples[code] = [];
                if (list.Count < 6)
                {
                    list.Add($"'{q}' / '{c}'");
                }
            }
        }

        Console.WriteLine($"{name}: {pairs} pairs >= 0.85");
        foreach (((int code, bool same), int n) in now.OrderBy(x => x.Key.Code))
        {
            Console.WriteLine($"  now code {code} {(same ? "same intent" : "other intent")}: {n}");
        }

        foreach (((string? code, bool same), int n) in before.OrderBy(x => x.Key.Code))
        {
            Console.WriteLine($"  before {code ?? "none"} {(same ? "same intent" : "other intent")}: {n}");
        }

        foreach ((int code, List<string> list) in examples)
        {
            Console.WriteLine($"  same-intent blocked by {code}: " + string.Join(" | ", list));
        }
    }
}
