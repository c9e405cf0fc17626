using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using RagKit;
using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

/// <summary>
/// Says why each question of a split goes wrong: retrieval (no chunk that holds the key fact is among the retrieved
/// ones above the minimum score), refusal (the fact is retrieved and the answerer would quote it, but refuses; or an
/// unanswerable question is answered), scoring (the fact is retrieved but another block is quoted), or truncation (the
/// quoted block is the one that holds the fact, cut before it). Retrieval is the pipeline's (top 4, minimum 0.2, the extractive rescue).
/// </summary>
internal static class Diagnosis
{
    public static async Task RunAsync(string splitDir, IEmbeddingGenerator<string, Embedding<float>> embedder, int topK, float minScore)
    {
        var causes = new Dictionary<string, int>(StringComparer.Ordinal);
        ExtractiveCalibration shipped = ExtractiveAnswerer.Calibration;
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
                IReadOnlyList<ChunkMatch> sources = await ExtractiveSources.SearchAsync(store, vector, new VectorQuery(scope, topK, minScore), QuestionNormalizer.Normalize(q.Question), default);
                ExtractiveAnswer answer = await ExtractiveAnswerer.AnswerAsync(q.Question, vector, sources, embedder, default);
                bool ok = q.Answerable ? Harness.ContainsFact(answer.Text, q) : answer.Refused;
                if (ok)
                {
                    continue;
                }

                string cause;
                string detail = string.Create(CultureInfo.InvariantCulture, $"score {answer.Score:F3}, gap {answer.Gap:F3}, property {answer.Property ?? "-"}{(answer.PropertyUnsaid ? " (unsaid)" : "")}");
                if (!q.Answerable)
                {
                    cause = "refusal: answered";
                }
                else
                {
                    IReadOnlyList<ChunkMatch> all = await store.SearchAsync(vector, new VectorQuery(scope, 100, -1f), default);
                    int rank = all.ToList().FindIndex(m => HoldsFact(m.Text, q));
                    string where = rank < 0 ? "in no chunk" : string.Create(CultureInfo.InvariantCulture, $"fact chunk rank {rank + 1}, score {all[rank].Score:F3}");
                    if (!sources.Any(m => HoldsFact(m.Text, q)))
                    {
                        cause = rank >= 0 && rank < topK ? "retrieval: below minimum score" : "retrieval: not in top k";
                    }
                    else
                    {
                        ExtractiveAnswerer.Calibration = shipped with { MinScore = double.NegativeInfinity, MaxGap = double.PositiveInfinity, MinScoreWithoutProperty = double.NegativeInfinity, MinScoreWithoutQuantity = double.NegativeInfinity };
                        ExtractiveAnswer unrefused = await ExtractiveAnswerer.AnswerAsync(q.Question, vector, sources, embedder, default);
                        ExtractiveAnswerer.Calibration = shipped;
                        cause = Harness.ContainsFact(unrefused.Text, q)
                            ? answer.Score < shipped.MinScore ? "refusal: score" : answer.Gap > shipped.MaxGap ? "refusal: gap" : answer.PropertyUnsaid && answer.Score < shipped.MinScoreWithoutProperty ? "refusal: property" : answer.QuantityUnsaid ? "refusal: quantity" : "refusal: name"
                            : "scoring";
                        if (cause == "scoring" && !unrefused.Refused)
                        {
                            detail += " | unrefused: " + unrefused.Text.ReplaceLineEndings(" ");
                        }
                    }

                    detail = where + "; " + detail;
                }

                causes[cause] = causes.GetValueOrDefault(cause) + 1;
                Console.WriteLine($"{Path.GetFileName(folder),-16} {cause,-30} {q.Question}\n{"",47} {detail}\n{"",47} -> {answer.Text.ReplaceLineEndings(" / ")}");
            }
        }

        Console.WriteLine();
        foreach ((string cause, int n) in causes.OrderByDescending(c => c.Value))
        {
            Console.WriteLine($"{n,4}  {cause}");
        }
    }

    // The chunk holds the fact once markup is set aside.
    private static bool HoldsFact(string chunk, DevSetQuestion q)
    {
        string text = Plain(chunk);
        return q.KeyFacts.Any(f => text.Contains(Plain(f), StringComparison.OrdinalIgnoreCase));
    }

    private static string Plain(string s) => Regex.Replace(s.Replace("`", "", StringComparison.Ordinal).Replace("**", "", StringComparison.Ordinal).Replace("<", "", StringComparison.Ordinal).Replace(">", "", StringComparison.Ordinal), @"\s+", " ");
}
