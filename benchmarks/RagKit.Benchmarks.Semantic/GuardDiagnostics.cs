using System.Numerics.Tensors;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>Which guard fires on which pairs: true vs false hits in the stream, paraphrase vs not in PAWS.</summary>
internal static class GuardDiagnostics
{
    public static void Run(IReadOnlyList<LabeledQuery> stream, IReadOnlyList<SentencePair> paws, EmbeddingStore emb)
    {
        var counts = new Dictionary<(string Guard, bool Correct), int>();
        var examples = new Dictionary<string, List<string>>();
        for (int i = 1; i < stream.Count; i++)
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

            if (best < 0.80f)
            {
                continue;
            }

            bool correct = stream[i].Label == stream[bestJ].Label;
            double jac = ReferenceGuards.ContentJaccard(QuestionNormalizer.Normalize(stream[i].Text), QuestionNormalizer.Normalize(stream[bestJ].Text));
            string cell = $"sim {Math.Floor(best * 50) / 50:F2} jac {(jac >= 0.5 ? ">=.5" : jac >= 0.25 ? ">=.25" : jac > 0 ? ">0" : "0")}";
            counts[(cell, correct)] = counts.GetValueOrDefault((cell, correct)) + 1;
            string g = ReferenceGuards.Check(QuestionNormalizer.Normalize(stream[i].Text), QuestionNormalizer.Normalize(stream[bestJ].Text)) ?? "pass";
            counts[(g, correct)] = counts.GetValueOrDefault((g, correct)) + 1;
            if (g != "pass")
            {
                List<string> ex = examples.TryGetValue(g, out List<string>? l) ? l : examples[g] = [];
                if (ex.Count < 8)
                {
                    ex.Add($"{(correct ? "TRUE " : "FALSE")} {best:F3} | {stream[i].Text} | {stream[bestJ].Text}");
                }
            }
        }

        Console.WriteLine("BANKING77 nearest >= 0.80: guard -> correct / wrong");
        foreach (string g in counts.Keys.Select(k => k.Guard).Distinct().Order(StringComparer.Ordinal))
        {
            Console.WriteLine($"  {g,-10} true {counts.GetValueOrDefault((g, true)),5}  false {counts.GetValueOrDefault((g, false)),5}");
        }

        foreach ((string g, List<string> ex) in examples)
        {
            Console.WriteLine($"-- {g}");
            ex.ForEach(e => Console.WriteLine("   " + e));
        }

        var pc = new Dictionary<(string Guard, bool Para), int>();
        foreach (SentencePair p in paws)
        {
            string g = ReferenceGuards.Check(QuestionNormalizer.Normalize(p.Second), QuestionNormalizer.Normalize(p.First)) ?? "pass";
            pc[(g, p.Paraphrase)] = pc.GetValueOrDefault((g, p.Paraphrase)) + 1;
            if (g == "pass" && !p.Paraphrase && pc[(g, false)] % 60 == 0)
            {
                Console.WriteLine($"   PASS-NEG {TensorPrimitives.CosineSimilarity(emb[p.First], emb[p.Second]):F3} | {p.First}\n                  | {p.Second}");
            }

            if (g == "order" && p.Paraphrase && pc[(g, true)] % 25 == 0)
            {
                Console.WriteLine($"   ORDER-POS {TensorPrimitives.CosineSimilarity(emb[p.First], emb[p.Second]):F3} | {p.First}\n                  | {p.Second}");
            }
        }

        Console.WriteLine("PAWS: guard -> paraphrase / not");
        foreach (string g in pc.Keys.Select(k => k.Guard).Distinct())
        {
            Console.WriteLine($"  {g,-10} para {pc.GetValueOrDefault((g, true)),5}  non-para {pc.GetValueOrDefault((g, false)),5}");
        }
    }
}
