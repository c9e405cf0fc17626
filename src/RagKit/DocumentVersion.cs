namespace RagKit;

/// <summary>
/// A document's version as an invalidation feed carries it: the content hash of its current text, <see cref="Deleted"/>
/// for a deleted document (a tombstone), or <see cref="Changing"/> while an instance is writing it (the new hash is not
/// known yet; answers built from it are neither served nor cached until the change is committed or
/// <see cref="ChangingUntil"/> has passed).
/// </summary>
/// <param name="Document">The document.</param>
/// <param name="Version">Its content hash, <see cref="Deleted"/> or <see cref="Changing"/>.</param>
public readonly record struct DocumentVersion(DocumentKey Document, ulong Version)
{
    /// <summary>The version of a deleted document.</summary>
    public const ulong Deleted = 0;

    /// <summary>The version of a document being written; the writer commits the new version, or the mark expires.</summary>
    public const ulong Changing = ulong.MaxValue;

    /// <summary>For <see cref="Changing"/>: when the mark expires if no commit arrives (the writer died or was cut off).</summary>
    public DateTimeOffset ChangingUntil { get; init; }
}
