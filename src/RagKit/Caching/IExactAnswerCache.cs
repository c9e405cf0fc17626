namespace RagKit.Caching;

/// <summary>
/// An exact-question answer cache shared beyond this process (for example through <c>IDistributedCache</c>).
/// The pipeline consults it after the in-process exact tier and before the semantic tiers, within
/// <see cref="RagKitOptions.TierTimeout"/>; a failing or slow one is skipped.
/// </summary>
public interface IExactAnswerCache
{
    /// <summary>A short name for reports, logs and metrics (the <c>tier</c> tag).</summary>
    string Name { get; }

    /// <summary>Returns the answer stored for exactly this normalized question in this scope, or null.</summary>
    ValueTask<CachedAnswer?> GetAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>Stores an answer under its normalized question.</summary>
    ValueTask SetAsync(ScopeKey scope, CachedAnswer answer, CancellationToken cancellationToken);

    /// <summary>Removes the answer stored for this normalized question; returns how many were removed.</summary>
    ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>Stops every answer built from any of the documents from being served; returns how many were known removed.</summary>
    ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken);
}
