namespace RagKit.Caching;

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
