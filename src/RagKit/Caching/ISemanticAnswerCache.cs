namespace RagKit.Caching;

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
