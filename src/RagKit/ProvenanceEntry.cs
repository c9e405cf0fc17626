namespace RagKit;

/// <summary>One source an answer was built from, with the version of its document at that time.</summary>
/// <param name="Document">The document.</param>
/// <param name="ChunkId">The chunk.</param>
/// <param name="DocumentHash">Content hash of the document when the answer was built.</param>
public sealed record ProvenanceEntry(DocumentKey Document, string ChunkId, ulong DocumentHash);
