namespace RagKit.Caching;

/// <summary>A lookup in a semantic tier.</summary>
/// <param name="Scope">The scope key; entries from any other scope must never match.</param>
/// <param name="Question">The normalized question (for guards that look at the words, not only the vector).</param>
/// <param name="Embedding">The L2-normalized question embedding.</param>
/// <param name="Threshold">Minimum cosine similarity for a hit.</param>
public readonly record struct SemanticQuery(ScopeKey Scope, string Question, ReadOnlyMemory<float> Embedding, float Threshold)
{
    /// <summary>
    /// The rule that decides whether a candidate is served (<see cref="RagKitOptions.SemanticMatchRule"/> when the
    /// pipeline asks); null means the plain threshold. Tiers that keep their own rule may ignore it.
    /// </summary>
    public ISemanticMatchRule? Rule { get; init; }
}

/// <summary>A semantic hit.</summary>
/// <param name="Answer">The cached answer.</param>
/// <param name="Similarity">Cosine similarity between the question and the cached question.</param>
public sealed record SemanticCacheHit(CachedAnswer Answer, float Similarity);

/// <summary>
/// A cache of answers keyed by question similarity within a scope. RagKit ships an in-process one;
/// RagKit.Redis adds one shared by every app instance.
/// </summary>
public interface ISemanticAnswerCache
{
    /// <summary>A short name for reports, logs and metrics (the <c>tier</c> tag).</summary>
    string Name { get; }

    /// <summary>Finds the most similar cached question in the same scope at or above the threshold.</summary>
    ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken);

    /// <summary>Stores an answer under its question embedding.</summary>
    ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken);

    /// <summary>Removes the answer stored for exactly this normalized question in this scope (an answer reported wrong).</summary>
    ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>Removes every answer built from any of the documents; returns how many were removed.</summary>
    ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken);
}
