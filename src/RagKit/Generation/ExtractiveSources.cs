using RagKit.Ingestion;
using RagKit.Retrieval;

namespace RagKit.Generation;

/// <summary>
/// Retrieval for the extractive answerer: the nearest chunks above the minimum score as always, and when fewer than
/// top k pass it, chunks below it that hold most of the question's words (weighted by how rare they are among the
/// nearest chunks). A short question against a chunk of steps, code or tables ("How do I stop the service?" against
/// "sudo systemctl stop ledger") often scores below the minimum although its words are all there; the answerer's own
/// checks still decide whether the rescued chunk answers.
/// </summary>
internal static class ExtractiveSources
{
    /// <summary>How many nearest chunks per slot the rescue looks among.</summary>
    private const int PoolPerSlot = 5;

    /// <summary>The smallest pool, for small top k.</summary>
    private const int MinPool = 20;

    /// <summary>A chunk below the minimum score is rescued when it holds at least this share of the question's weighted words.</summary>
    internal static double MinRescueCoverage { get; set; } = 0.75;

    public static async ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(IVectorStore store, ReadOnlyMemory<float> vector, VectorQuery query, string question, CancellationToken cancellationToken)
    {
        var pool = query with { TopK = Math.Max(MinPool, query.TopK * PoolPerSlot), MinScore = -1f };
        IReadOnlyList<ChunkMatch> nearest = await store.SearchAsync(vector, pool, cancellationToken).ConfigureAwait(false);
        return Select(question, nearest, query.TopK, query.MinScore);
    }

    /// <summary>The sources from the nearest chunks (best first): those above <paramref name="minScore"/>, then rescued ones.</summary>
    internal static IReadOnlyList<ChunkMatch> Select(string question, IReadOnlyList<ChunkMatch> nearest, int topK, float minScore)
    {
        var sources = nearest.Where(m => m.Score >= minScore).Take(topK).ToList();
        if (sources.Count >= topK || sources.Count == nearest.Count)
        {
            return sources;
        }

        HashSet<string> words = ExtractiveAnswerer.QuestionWords(question);
        if (words.Count == 0)
        {
            return sources;
        }

        HashSet<string>[] chunkWords = nearest.Select(m => ExtractiveAnswerer.Words(m.Text + " " + m.Title, withParts: true)).ToArray();
        var weights = words.ToDictionary(w => w, w => Math.Log(1 + ((nearest.Count + 1.0) / (chunkWords.Count(c => c.Contains(w)) + 1.0))), StringComparer.Ordinal);
        double total = weights.Values.Sum();
        IEnumerable<ChunkMatch> rescued = nearest
            .Select((m, i) => (Match: m, Coverage: weights.Where(w => chunkWords[i].Contains(w.Key)).Sum(w => w.Value) / total))
            .Where(c => c.Match.Score < minScore && c.Coverage >= MinRescueCoverage)
            .OrderByDescending(c => c.Coverage)
            .Select(c => c.Match);
        sources.AddRange(rescued.Take(topK - sources.Count));
        return sources;
    }
}
