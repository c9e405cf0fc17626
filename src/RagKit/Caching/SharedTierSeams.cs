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

/// <summary>
/// Coordinates generation across processes: when several instances miss on the same question at once,
/// one holds a lease and generates, the others wait for its answer.
/// </summary>
public interface ISingleFlightCoordinator
{
    /// <summary>Tries to take the lease for a question; returns a lease token, or null when another holder has it.</summary>
    ValueTask<string?> TryAcquireAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the holder's answer. Returns it when published; null when the lease was released or expired without
    /// an answer (the caller then tries to take the lease itself).
    /// </summary>
    ValueTask<CachedAnswer?> WaitForAnswerAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>Publishes the answer (null when there is none to share) and releases the lease.</summary>
    ValueTask ReleaseAsync(ScopeKey scope, string question, string leaseToken, CachedAnswer? answer, CancellationToken cancellationToken);
}

/// <summary>Data of <see cref="IDocumentInvalidationFeed.DocumentsInvalidated"/>.</summary>
public sealed class DocumentsInvalidatedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public DocumentsInvalidatedEventArgs(IReadOnlyCollection<DocumentKey> documents) => Documents = documents;

    /// <summary>The documents that changed or were deleted.</summary>
    public IReadOnlyCollection<DocumentKey> Documents { get; }
}

/// <summary>
/// Implemented by a shared tier that learns of document invalidations made by other app instances; the pipeline
/// subscribes and drops the affected answers from its in-process tiers.
/// </summary>
public interface IDocumentInvalidationFeed
{
    /// <summary>Raised when another instance invalidated documents.</summary>
    event EventHandler<DocumentsInvalidatedEventArgs>? DocumentsInvalidated;
}
