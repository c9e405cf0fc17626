using System.Globalization;
using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// Train-only grid through the real in-process tier (--answer-grid): Bitext train (seed 3) with answer vectors of the
/// selected kind (--answers=full|64|rest), floor × margin × answer similarity, each against the static curve of the same
/// stream. For choosing the answer similarity after a change of answer vectors, before the full --generalize run.
/// </summary>
internal static class AnswerSelection
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly float[] Grid = [.. Enumerable.Range(0, 28).Select(i => 0.70f + (0.01f * i))];

    public static void Run(string name, List<LabeledQuery> stream, EmbeddingStore emb, bool answerVectors, float[] floors, float[] margins, float[] answerSimilarities, float[] answerMargins)
    {
        List<StreamResult> statics = [.. Grid.Select(t => Simulation.Stream(stream, emb, new StreamConfig("static", SemanticMatchRules.Static, false, 0), t, answerVectors))];
        Console.WriteLine($"{name} ({stream.Count} queries, answers '{EmbeddingStore.AnswerMode}'): static " + string.Join(" ", statics.Where((_, i) => i % 2 == 0).Select(x => string.Create(Inv, $"{x.Threshold:F2}:{x.HitRate:P1}/{x.FalseHitRate:P2}"))));
        foreach (float floor in floors)
        {
            foreach (float margin in margins)
            {
                foreach (float answer in answerSimilarities)
                {
                    foreach (float answerMargin in answer == 0 ? [0f] : answerMargins)
                    {
                        ISemanticMatchRule rule = new NeighbourhoodMatchRule(floor, margin, 1, guards: true, answer) { AnswerMargin = answerMargin };
                        StreamResult r = Simulation.Stream(stream, emb, new StreamConfig("n", rule, false, 0), 0.90f, answerVectors);
                        double st = Simulation.InterpolateHitRate(statics, r.FalseHitRate);
                        Console.WriteLine(string.Create(Inv, $"  floor {floor:F2} margin {margin:F2} answer {answer:F2} answer margin {answerMargin:F2}: {r.HitRate:P1} / {r.FalseHitRate:P2}, static {st:P1}, ratio {r.HitRate / st:F2}"));
                    }
                }
            }
        }
    }
}
