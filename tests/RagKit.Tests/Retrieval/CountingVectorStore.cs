using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Tests.Retrieval;

/// <summary>Counts the searches that reach the store it wraps.</summary>
public sealed class CountingVectorStore(IVectorStore inner) : IVectorStore
{
    private int _searches;

    public int Searches => Volatile.Read(ref _searches);

    public ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken) => inner.UpsertAsync(documents, cancellationToken);

    public ValueTask<int> DeleteAsync(IReadOnlyList<DocumentKey> documents, CancellationToken cancellationToken) => inner.DeleteAsync(documents, cancellationToken);

    public ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(ReadOnlyMemory<float> vector, VectorQuery query, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _searches);
        return inner.SearchAsync(vector, query, cancellationToken);
    }

    public ValueTask<DocumentInfo?> GetDocumentAsync(DocumentKey key, CancellationToken cancellationToken) => inner.GetDocumentAsync(key, cancellationToken);
}
