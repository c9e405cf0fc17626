namespace RagKit.Caching;

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
