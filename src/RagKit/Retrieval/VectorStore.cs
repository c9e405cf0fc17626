
namespace RagKit.Retrieval;

/// <summary>A chunk of a document with its embedding, as written to a vector store.</summary>
/// <param name="ChunkId">Unique within the document.</param>
/// <param name="Ordinal">Position of the chunk in the document.</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="Vector">The L2-normalized embedding of <paramref name="Text"/>.</param>
public sealed record StoredChunk(string ChunkId, int Ordinal, string Text, ReadOnlyMemory<float> Vector);

/// <summary>A document as written to a vector store: all of its chunks, which replace any it had before.</summary>
/// <param name="Key">The document.</param>
/// <param name="ContentHash">Hash of the document text; a changed hash means a new version.</param>
/// <param name="AccessGroups">Groups allowed to read it; empty for everyone in its tenant and collection.</param>
/// <param name="Chunks">The chunks.</param>
/// <param name="Title">Optional title.</param>
public sealed record StoredDocument(DocumentKey Key, ulong ContentHash, IReadOnlyList<string> AccessGroups, IReadOnlyList<StoredChunk> Chunks, string? Title = null);

/// <summary>What a store knows of a document without its chunks.</summary>
/// <param name="Key">The document.</param>
/// <param name="ContentHash">Hash of the document text.</param>
/// <param name="AccessGroups">Groups allowed to read it.</param>
/// <param name="ChunkCount">How many chunks it has.</param>
public sealed record DocumentInfo(DocumentKey Key, ulong ContentHash, IReadOnlyList<string> AccessGroups, int ChunkCount);

/// <summary>A vector query: the scope filters by tenant, collection and access groups.</summary>
/// <param name="Scope">Only chunks this scope may read are returned.</param>
/// <param name="TopK">How many chunks at most.</param>
/// <param name="MinScore">Chunks below this cosine similarity are left out.</param>
public readonly record struct VectorQuery(RagScope Scope, int TopK, float MinScore = 0f);

/// <summary>A chunk found by a vector query.</summary>
/// <param name="Document">The document.</param>
/// <param name="ChunkId">The chunk.</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="Score">Cosine similarity to the query.</param>
/// <param name="DocumentHash">Content hash of the document version the chunk belongs to.</param>
/// <param name="Title">The document's title, if it has one.</param>
public sealed record ChunkMatch(DocumentKey Document, string ChunkId, string Text, float Score, ulong DocumentHash, string? Title = null);

/// <summary>
/// Stores chunk vectors and finds the nearest within a scope. RagKit ships an embedded store (USearch + an
/// append-only file); RagKit.Qdrant adds Qdrant.
/// </summary>
public interface IVectorStore
{
    /// <summary>Writes documents; each replaces all chunks its id had before, atomically per document.</summary>
    ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken);

    /// <summary>Deletes documents and all their chunks; returns how many existed.</summary>
    ValueTask<int> DeleteAsync(IReadOnlyList<DocumentKey> documents, CancellationToken cancellationToken);

    /// <summary>Finds the chunks nearest to <paramref name="vector"/> that the query's scope may read, best first.</summary>
    ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(ReadOnlyMemory<float> vector, VectorQuery query, CancellationToken cancellationToken);

    /// <summary>What the store knows of a document, or null.</summary>
    ValueTask<DocumentInfo?> GetDocumentAsync(DocumentKey key, CancellationToken cancellationToken);
}

/// <summary>A store file that cannot be read: damaged, or written by something else.</summary>
public sealed class RagStoreCorruptedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RagStoreCorruptedException(string path, long offset, string reason)
        : base($"The RagKit store file '{path}' is damaged at byte {offset}: {reason}. The file was left untouched; restore it from a backup or delete it and ingest again.")
    {
        FilePath = path;
        Offset = offset;
    }

    /// <summary>Creates the exception.</summary>
    public RagStoreCorruptedException()
        : this(string.Empty, 0, "unknown")
    {
    }

    /// <summary>Creates the exception.</summary>
    public RagStoreCorruptedException(string message)
        : base(message)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public RagStoreCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }

    /// <summary>Where in the file the damage was found.</summary>
    public long Offset { get; }
}
