using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.Caching;
using RagKit.Internal;

namespace RagKit.Retrieval;

/// <summary>Settings of the embedded vector store.</summary>
public sealed class EmbeddedVectorStoreOptions
{
    /// <summary>Folder of the store file; null keeps everything in memory only.</summary>
    public string? DirectoryPath { get; set; }

    /// <summary>Rewrite the store file when superseded records outnumber live ones by this factor. Default 2.</summary>
    public double CompactionRatio { get; set; } = 2.0;
}

/// <summary>
/// The default vector store: an HNSW index (USearch) per tenant and collection in memory, and an append-only,
/// checksummed file on disk that survives restarts and crashes.
/// </summary>
public static class EmbeddedVectorStore
{
    /// <summary>Opens the store in <paramref name="directoryPath"/>, replaying its file.</summary>
    /// <exception cref="RagStoreCorruptedException">The store file is damaged.</exception>
    public static IVectorStore Open(string directoryPath, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directoryPath);
        return new EmbeddedVectorStoreCore(new EmbeddedVectorStoreOptions { DirectoryPath = directoryPath }, logger ?? NullLogger.Instance);
    }

    /// <summary>Opens a store with the given options.</summary>
    public static IVectorStore Open(EmbeddedVectorStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.CompactionRatio >= 1))
        {
            throw new ArgumentException($"{nameof(options.CompactionRatio)} must be at least 1; got {options.CompactionRatio}.", nameof(options));
        }

        return new EmbeddedVectorStoreCore(options, logger ?? NullLogger.Instance);
    }

    /// <summary>A store that lives in memory only.</summary>
    public static IVectorStore InMemory() => new EmbeddedVectorStoreCore(new EmbeddedVectorStoreOptions(), NullLogger.Instance);
}

internal sealed partial class EmbeddedVectorStoreCore : IVectorStore, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<DocumentKey, DocState> _documents = [];
    private readonly Dictionary<(string Tenant, string Collection), Partition> _partitions = [];
    private readonly StoreLog? _log;
    private readonly EmbeddedVectorStoreOptions _options;
    private readonly ILogger _logger;
    private ulong _nextKey;

    public EmbeddedVectorStoreCore(EmbeddedVectorStoreOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        if (options.DirectoryPath is not null)
        {
            _log = StoreLog.Open(options.DirectoryPath, d => Apply(d), k => Remove(k), out long truncated);
            if (truncated > 0)
            {
                LogTruncated(_logger, _log.Path, truncated);
            }
        }
    }

    public int DocumentCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _documents.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        foreach (StoredDocument d in documents)
        {
            ArgumentNullException.ThrowIfNull(d, nameof(documents));
            foreach (StoredChunk c in d.Chunks)
            {
                if (c.Vector.Length == 0)
                {
                    throw new ArgumentException($"Chunk '{c.ChunkId}' of document '{d.Key}' has an empty vector.", nameof(documents));
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        _lock.EnterWriteLock();
        try
        {
            foreach (StoredDocument d in documents)
            {
                CheckDimensions(d);
            }

            foreach (StoredDocument d in documents)
            {
                // Durable first: a document is in memory only once its record is on disk.
                _log?.AppendUpsert(d);
                Apply(d);
            }

            MaybeCompact();
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> DeleteAsync(IReadOnlyList<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        int removed = 0;
        _lock.EnterWriteLock();
        try
        {
            foreach (DocumentKey key in documents)
            {
                if (_documents.ContainsKey(key))
                {
                    _log?.AppendDelete(key);
                    Remove(key);
                    removed++;
                }
            }

            MaybeCompact();
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return ValueTask.FromResult(removed);
    }

    public ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(ReadOnlyMemory<float> vector, VectorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query.Scope, nameof(query));
        if (query.TopK <= 0)
        {
            throw new ArgumentException($"TopK must be positive; got {query.TopK}.", nameof(query));
        }

        if (vector.IsEmpty)
        {
            throw new ArgumentException("The query vector is empty.", nameof(vector));
        }

        _lock.EnterReadLock();
        try
        {
            if (!_partitions.TryGetValue((query.Scope.Tenant, query.Scope.Collection), out Partition? partition) || partition.Chunks.Count == 0)
            {
                return ValueTask.FromResult<IReadOnlyList<ChunkMatch>>([]);
            }

            if (vector.Length != partition.Index.Dimensions)
            {
                throw new ArgumentException($"The query vector has {vector.Length} dimensions; the collection's vectors have {partition.Index.Dimensions}.", nameof(vector));
            }

            return ValueTask.FromResult(partition.Search(vector.Span, query));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public ValueTask<DocumentInfo?> GetDocumentAsync(DocumentKey key, CancellationToken cancellationToken)
    {
        _lock.EnterReadLock();
        try
        {
            return ValueTask.FromResult(_documents.TryGetValue(key, out DocState? d)
                ? new DocumentInfo(key, d.Document.ContentHash, d.Document.AccessGroups, d.Keys.Length)
                : null);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose()
    {
        _log?.Dispose();
        foreach (Partition p in _partitions.Values)
        {
            p.Index.Dispose();
        }
    }

    private void CheckDimensions(StoredDocument d)
    {
        if (d.Chunks.Count == 0 || !_partitions.TryGetValue((d.Key.Tenant, d.Key.Collection), out Partition? p) || p.Chunks.Count == 0)
        {
            return;
        }

        foreach (StoredChunk c in d.Chunks)
        {
            if (c.Vector.Length != p.Index.Dimensions)
            {
                throw new ArgumentException($"Chunk '{c.ChunkId}' of document '{d.Key}' has {c.Vector.Length} dimensions; the collection's vectors have {p.Index.Dimensions}.", "documents");
            }
        }
    }

    private void Apply(StoredDocument doc)
    {
        Remove(doc.Key);
        var keyTuple = (doc.Key.Tenant, doc.Key.Collection);
        if (!_partitions.TryGetValue(keyTuple, out Partition? partition))
        {
            int dims = doc.Chunks.Count > 0 ? doc.Chunks[0].Vector.Length : 0;
            if (dims == 0)
            {
                _documents[doc.Key] = new DocState(doc, []);
                return;
            }

            _partitions[keyTuple] = partition = new Partition(new HnswIndex(dims, ScalarKind.Float16));
        }

        ulong[] keys = new ulong[doc.Chunks.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            StoredChunk c = doc.Chunks[i];
            ulong k = ++_nextKey;
            float[] v = c.Vector.ToArray();
            partition.Index.Add(k, v);
            partition.Chunks[k] = new ChunkState(doc, c.ChunkId, c.Text, v);
            keys[i] = k;
        }

        _documents[doc.Key] = new DocState(doc, keys);
        _live += keys.Length;
    }

    private long _live;
    private long _superseded;

    private void Remove(DocumentKey key)
    {
        if (!_documents.Remove(key, out DocState? state))
        {
            return;
        }

        _superseded += 1 + state.Keys.Length;
        _live -= state.Keys.Length;
        if (_partitions.TryGetValue((key.Tenant, key.Collection), out Partition? partition))
        {
            foreach (ulong k in state.Keys)
            {
                partition.Chunks.Remove(k);
                partition.Index.Remove(k);
            }
        }
    }

    private void MaybeCompact()
    {
        if (_log is null || _superseded < 1000 || _superseded < _live * _options.CompactionRatio)
        {
            return;
        }

        _log.Compact(_documents.Values.Select(d => d.Document));
        _superseded = 0;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit store {Path}: cut off {Bytes} bytes of a write that was interrupted (never acknowledged); all earlier records are intact.")]
    private static partial void LogTruncated(ILogger logger, string path, long bytes);

    private sealed record DocState(StoredDocument Document, ulong[] Keys);

    private sealed record ChunkState(StoredDocument Document, string ChunkId, string Text, float[] Vector);

    private sealed class Partition(HnswIndex index)
    {
        public HnswIndex Index { get; } = index;

        public Dictionary<ulong, ChunkState> Chunks { get; } = [];

        public IReadOnlyList<ChunkMatch> Search(ReadOnlySpan<float> query, VectorQuery q)
        {
            // Over-fetch so that access-group filtering still leaves TopK; widen when it does not.
            int want = Math.Min(Chunks.Count, Math.Max(q.TopK * 4, 16));
            while (true)
            {
                ulong[] keys = new ulong[want];
                float[] distances = new float[want];
                int found = Index.Search(query, keys, distances);
                var matches = new List<ChunkMatch>(Math.Min(found, q.TopK * 2));
                for (int i = 0; i < found; i++)
                {
                    if (!Chunks.TryGetValue(keys[i], out ChunkState? c) || !q.Scope.CanRead(c.Document.AccessGroups))
                    {
                        continue;
                    }

                    float score = TensorPrimitives.CosineSimilarity(query, c.Vector);
                    if (score >= q.MinScore)
                    {
                        matches.Add(new ChunkMatch(c.Document.Key, c.ChunkId, c.Text, score, c.Document.ContentHash, c.Document.Title));
                    }
                }

                if (matches.Count >= q.TopK || want >= Chunks.Count)
                {
                    matches.Sort(static (a, b) => b.Score.CompareTo(a.Score));
                    if (matches.Count > q.TopK)
                    {
                        matches.RemoveRange(q.TopK, matches.Count - q.TopK);
                    }

                    return matches;
                }

                want = Math.Min(Chunks.Count, want * 4);
            }
        }
    }
}
