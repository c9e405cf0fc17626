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
    /// <summary>Creates the event data for documents whose new version is not known (they are learned again from retrieval).</summary>
    public DocumentsInvalidatedEventArgs(IReadOnlyCollection<DocumentKey> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        Documents = documents;
        Versions = [];
    }

    /// <summary>Creates the event data for documents with their new versions.</summary>
    /// <param name="versions">The new versions (content hash, <see cref="DocumentVersion.Deleted"/> or <see cref="DocumentVersion.Changing"/>).</param>
    /// <param name="reset">
    /// True when the feed lost track (the shared store lost its data, or invalidations were trimmed before this instance
    /// read them): every answer cached in-process before now must be dropped, and <paramref name="versions"/> is the
    /// complete list of known versions.
    /// </param>
    public DocumentsInvalidatedEventArgs(IReadOnlyList<DocumentVersion> versions, bool reset = false)
    {
        ArgumentNullException.ThrowIfNull(versions);
        Versions = versions;
        Documents = versions.Select(v => v.Document).ToArray();
        IsReset = reset;
    }

    /// <summary>The documents that changed or were deleted.</summary>
    public IReadOnlyCollection<DocumentKey> Documents { get; }

    /// <summary>The documents' new versions; empty when the feed does not know them.</summary>
    public IReadOnlyList<DocumentVersion> Versions { get; }

    /// <summary>True when every answer cached in-process before now must be dropped (see the constructor).</summary>
    public bool IsReset { get; }
}

/// <summary>
/// Implemented by a shared tier that carries document versions between app instances. The pipeline publishes a change
/// before writing the store and its new versions after (and only then returns from the ingest or delete); it applies
/// other instances' versions from <see cref="DocumentsInvalidated"/>; and it serves no cached answer while
/// <see cref="IsCaughtUp"/> is false (consistency over availability: the question is still answered by retrieval and
/// generation).
/// </summary>
public interface IDocumentInvalidationFeed
{
    /// <summary>Raised, on the feed's own thread and before <see cref="IsCaughtUp"/> can turn true, when another instance changed documents.</summary>
    event EventHandler<DocumentsInvalidatedEventArgs>? DocumentsInvalidated;

    /// <summary>
    /// True while this instance has applied every version committed more than the feed's freshness window ago; false
    /// while the feed lags, is disconnected, or has not caught up since it started. A volatile compare: cheap on hit paths.
    /// </summary>
    bool IsCaughtUp { get; }

    /// <summary>
    /// Publishes that <paramref name="documents"/> are about to change (before the store is written), so no instance
    /// serves or caches answers built from them until the new versions arrive or the mark expires.
    /// </summary>
    /// <exception cref="Exception">The change could not be published within the feed's budget; nothing may be written.</exception>
    ValueTask PublishChangingAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken);

    /// <summary>Publishes the documents' new versions (after the store was written); durable when it returns.</summary>
    /// <exception cref="Exception">The versions could not be published within the feed's budget.</exception>
    ValueTask PublishVersionsAsync(IReadOnlyList<DocumentVersion> versions, CancellationToken cancellationToken);
}
