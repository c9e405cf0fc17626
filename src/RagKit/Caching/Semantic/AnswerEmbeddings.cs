using Microsoft.Extensions.AI;

namespace RagKit.Caching;

/// <summary>Embeds an answer for answer equivalence when the match rule compares answers by embedding.</summary>
internal static class AnswerEmbeddings
{
    /// <summary>
    /// The answer's embedding when <paramref name="rule"/> asks for answer similarity and an embedder is at hand; empty
    /// otherwise, and when embedding fails (the answer is then compared by its text, as before: a missing vector only
    /// costs support, never a wrong hit).
    /// </summary>
    public static async ValueTask<ReadOnlyMemory<float>> TryEmbedAsync(IEmbeddingGenerator<string, Embedding<float>>? embedder, ISemanticMatchRule? rule, string answer, CancellationToken cancellationToken)
    {
        if (embedder is null || NeighbourhoodMatchRule.AnswerSimilarityOf(rule) <= 0 || string.IsNullOrWhiteSpace(answer))
        {
            return default;
        }

        try
        {
            Embedding<float> e = await embedder.GenerateAsync(answer, cancellationToken: cancellationToken).ConfigureAwait(false);
            return e.Vector;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return default;
        }
    }
}
