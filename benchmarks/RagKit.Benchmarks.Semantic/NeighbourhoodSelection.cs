using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>One setting of the answer-neighbourhood rule.</summary>
internal sealed record NeighbourhoodSetting(float Floor, float Margin, int MinSupport)
{
    public string Name => $"neighbourhood (floor {Floor:F2}, margin {Margin:F2}, support {MinSupport})";

    public ISemanticMatchRule Rule(bool guards = true) => SemanticMatchRules.Neighbourhood(Floor, Margin, MinSupport, guards);
}

/// <summary>
/// Chooses the answer-neighbourhood rule's settings on a held-out stream (BANKING77 train split), so the test stream
/// the report scores is not used to pick them: the most hits with at most <see cref="FalseHitBudget"/> false hits.
/// </summary>
internal static class NeighbourhoodSelection
{
    /// <summary>Half of the 1 % target, leaving room for the train-to-test shift.</summary>
    public const double FalseHitBudget = 0.005;

    public static readonly float StaticThreshold = 0.90f;

    public static IEnumerable<NeighbourhoodSetting> Grid()
    {
        foreach (float floor in new[] { 0.74f, 0.76f, 0.78f, 0.80f, 0.82f, 0.84f })
        {
            foreach (float margin in new[] { 0.06f, 0.08f, 0.10f, 0.12f, 0.14f, 0.16f })
            {
                foreach (int support in new[] { 0, 1 })
                {
                    yield return new NeighbourhoodSetting(floor, margin, support);
                }
            }
        }
    }

    public static List<LabeledQuery> TrainStream(List<LabeledQuery> train, int size = 4000)
    {
        var s = new List<LabeledQuery>(train);
        Data.Shuffle(s, 3);
        return s.Take(size).ToList();
    }

    public static (NeighbourhoodSetting Best, List<(NeighbourhoodSetting Setting, StreamResult Result)> All) Select(List<LabeledQuery> trainStream, EmbeddingStore emb)
    {
        var all = new List<(NeighbourhoodSetting, StreamResult)>();
        foreach (NeighbourhoodSetting s in Grid())
        {
            all.Add((s, Simulation.Stream(trainStream, emb, new StreamConfig(s.Name, s.Rule(), false, 0), StaticThreshold)));
        }

        NeighbourhoodSetting best = all.Where(x => x.Item2.FalseHitRate <= FalseHitBudget).OrderByDescending(x => x.Item2.HitRate).First().Item1;
        return (best, all);
    }
}

/// <summary>The neighbourhood rule's selection (train split) and test results for the report.</summary>
internal sealed class NeighbourhoodReport(NeighbourhoodSetting chosen, List<(NeighbourhoodSetting Setting, StreamResult Result)> selection, List<StreamResult> staticTrain)
{
    public NeighbourhoodSetting Chosen { get; } = chosen;

    public List<(NeighbourhoodSetting Setting, StreamResult Result)> Selection { get; } = selection;

    public List<StreamResult> StaticTrain { get; } = staticTrain;

    public List<(int Seed, string Label, StreamResult Result, double StaticAtSame, StreamResult StaticAt090)> Test { get; } = [];
}
