using System.Globalization;
using Microsoft.Extensions.AI;
using RagKit;
using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

/// <summary>
/// Sweeps the extractive answerer's lexical weight on one split: for each weight, every question is answered with
/// refusals off, and the "I don't know" threshold that gets the most questions right (fact found, or correctly refused)
/// is chosen, with the gap limit and the score below which an answer whose best block does not say what the question
/// asks for is refused. The refusal of a quantity question by a block without a number is held as shipped. Retrieval is
/// the pipeline's own for the extractive answerer (same store, top 4, minimum score 0.2, the lexical rescue).
/// </summary>
internal static class Calibration
{
    public static async Task RunAsync(string splitDir, IEmbeddingGenerator<string, Embedding<float>> embedder, string? featuresPath = null)
    {
        var asked = new List<(DevSetQuestion Q, ReadOnlyMemory<float> Vector, IReadOnlyList<ChunkMatch> Sources)>();
        foreach (string folder in Harness.Folders(splitDir))
        {
            IVectorStore store = EmbeddedVectorStore.InMemory();
            using var storeOwner = (IDisposable)store;
            using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).UseVectorStore(store).Build();
            var scope = new RagScope("harness", Path.GetFileName(folder));
            await rag.IngestAsync(scope, Harness.Documents(folder));
            foreach (DevSetQuestion q in DevSetQuestion.Read(Path.Combine(folder, "questions.tsv")))
            {
                ReadOnlyMemory<float> vector = (await embedder.GenerateAsync([QuestionNormalizer.Normalize(q.Question)]))[0].Vector;
                asked.Add((q, vector, await ExtractiveSources.SearchAsync(store, vector, new VectorQuery(scope, 4, 0.2f), QuestionNormalizer.Normalize(q.Question), default)));
            }
        }

        ExtractiveCalibration original = ExtractiveAnswerer.Calibration;
        Console.WriteLine($"{"lexical weight",15} {"best threshold",15} {"max gap",8} {"property",9} {"right",8} {"facts found",12} {"refusals",9}");
        foreach (double lexical in new[] { 0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0 })
        {
            ExtractiveAnswerer.Calibration = original with { LexicalWeight = lexical, MinScore = double.NegativeInfinity, MaxGap = double.PositiveInfinity, MinScoreWithoutProperty = double.NegativeInfinity, MinScoreWithoutQuantity = double.NegativeInfinity };
            var scored = new List<(double Score, double Gap, bool Unsaid, bool Answerable, bool Found)>();
            double quantityCut = original.MinScoreWithoutQuantity; // not swept: held as shipped
            foreach ((DevSetQuestion q, ReadOnlyMemory<float> vector, IReadOnlyList<ChunkMatch> sources) in asked)
            {
                ExtractiveAnswer a = await ExtractiveAnswerer.AnswerAsync(q.Question, vector, sources, embedder, default);
                bool refused = a.Refused || (a.QuantityUnsaid && a.Score < quantityCut);
                scored.Add((refused ? double.NegativeInfinity : a.Score, a.Gap, a.PropertyUnsaid, q.Answerable, q.Answerable && Harness.ContainsFact(a.Text, q)));
            }

            (double threshold, double gap, double property, int right, int found, int refused) best = (0, 0, 0, -1, 0, 0);
            double[] observed = scored.Select(s => s.Score).Where(double.IsFinite).Distinct().Order().ToArray();
            double[] gaps = scored.Select(s => s.Gap).Where(g => g > 0).Distinct().Order().ToArray();

            // Gap cuts halfway between two observed gaps, the largest first so that a tie keeps fewer refusals by gap.
            var gapCuts = new List<double> { double.PositiveInfinity };
            for (int g = gaps.Length - 1; g > 0; g--)
            {
                gapCuts.Add((gaps[g - 1] + gaps[g]) / 2);
            }

            // Score cuts for answers whose best block does not say what the question asks for, the lowest first.
            double[] unsaid = scored.Where(s => s.Unsaid).Select(s => s.Score).Where(double.IsFinite).Append(0).Distinct().Order().ToArray();
            var propertyCuts = new List<double> { double.NegativeInfinity };
            for (int u = 1; u < unsaid.Length; u++)
            {
                propertyCuts.Add((unsaid[u - 1] + unsaid[u]) / 2);
            }

            propertyCuts.Add(unsaid[^1] + 0.01);
            foreach (double gapCut in gapCuts)
            {
                foreach (double propertyCut in propertyCuts)
                {
                    for (int i = 0; i < observed.Length; i++)
                    {
                        // A threshold halfway between two observed scores.
                        double cut = i == 0 ? observed[0] - 0.01 : (observed[i - 1] + observed[i]) / 2;
                        int found = scored.Count(s => s.Found && s.Score >= cut && s.Gap <= gapCut && !(s.Unsaid && s.Score < propertyCut));
                        int refused = scored.Count(s => !s.Answerable && (s.Score < cut || s.Gap > gapCut || (s.Unsaid && s.Score < propertyCut)));
                        if (found + refused > best.right)
                        {
                            best = (cut, gapCut, propertyCut, found + refused, found, refused);
                        }
                    }
                }
            }

            int answerable = scored.Count(s => s.Answerable);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{lexical,15:F1} {best.threshold,15:F3} {best.gap,8:F3} {best.property,9:F3} {best.right,4}/{scored.Count,-3} {best.found,6}/{answerable,-5} {best.refused,4}/{scored.Count - answerable,-4}"));
        }

        if (featuresPath is not null)
        {
            // What the refusal decides with, per question, at the shipped weights (refusals by score off).
            ExtractiveAnswerer.Calibration = original with { MinScore = double.NegativeInfinity, MaxGap = double.PositiveInfinity, MinScoreWithoutProperty = double.NegativeInfinity, MinScoreWithoutQuantity = double.NegativeInfinity };
            using var writer = new StreamWriter(featuresPath);
            writer.WriteLine("answerable\tfound\tprechecked\tscore\tabsent\tcoverage\tmargin\tgap\tproperty\tunsaid\tnoquantity\tquestion");
            foreach ((DevSetQuestion q, ReadOnlyMemory<float> vector, IReadOnlyList<ChunkMatch> sources) in asked)
            {
                ExtractiveAnswer a = await ExtractiveAnswerer.AnswerAsync(q.Question, vector, sources, embedder, default);
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(q.Answerable ? 1 : 0)}\t{(q.Answerable && Harness.ContainsFact(a.Text, q) ? 1 : 0)}\t{(a.Refused ? 1 : 0)}\t{a.Score:F4}\t{a.Absent:F4}\t{a.BestCoverage:F4}\t{a.Margin:F4}\t{a.Gap:F4}\t{a.Property}\t{(a.PropertyUnsaid ? 1 : 0)}\t{(a.QuantityUnsaid ? 1 : 0)}\t{q.Question}"));
            }
        }

        ExtractiveAnswerer.Calibration = original;
    }
}
