using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.Internal;

namespace RagKit.Retrieval;

/// <summary>Settings of the embedded vector store.</summary>
public sealed class EmbeddedVectorStoreOptions
{
    /// <summary>Folder of the store file; null keeps everything in memory only.</summary>
    public string? DirectoryPath { get; set; }

    /// <summary>Rewrite the store file when superseded records outnumber live ones by this factor. Default 2.</summary>
    public double CompactionRatio { get; set; } = 2.0;

    /// <summary>
    /// Open the store without changing its files: writes throw <see cref="InvalidOperationException"/>, a write
    /// that was never acknowledged is skipped but left in the file, and any number of read-only opens may share the
    /// folder while no writer holds it. Needs <see cref="DirectoryPath"/>.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>Size at which a document's chunks continue in a new log record (tests lower it).</summary>
    internal int RecordSplitBytes { get; set; } = StoreLog.DefaultRecordSplitBytes;
}

/// <summary>
/// The default vector store: an HNSW index (USearch) per tenant and collection in memory, and an append-only,
/// checksummed file on disk that survives restarts and crashes. One store at a time may open a folder.
/// </summary>
public static class EmbeddedVectorStore
{
    /// <summary>Opens the store in <paramref name="directoryPath"/>, replaying its file.</summary>
    /// <exception cref="RagStoreCorruptedException">An acknowledged record is damaged or missing; no file was changed.</exception>
    /// <exception cref="RagStoreLockedException">Another store (in this process or another) has the folder open.</exception>
    public static IVectorStore Open(string directoryPath, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directoryPath);
        return new EmbeddedVectorStoreCore(new EmbeddedVectorStoreOptions { DirectoryPath = directoryPath }, logger ?? NullLogger.Instance);
    }

    /// <summary>Opens a store with the given options.</summary>
    /// <exception cref="RagStoreCorruptedException">An acknowledged record is damaged or missing; no file was changed.</exception>
    /// <exception cref="RagStoreLockedException">Another store (in this process or another) has the folder open.</exception>
    public static IVectorStore Open(EmbeddedVectorStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.CompactionRatio >= 1))
        {
            throw new ArgumentException($"{nameof(options.CompactionRatio)} must be at least 1; got {options.CompactionRatio}.", nameof(options));
        }

        if (options.ReadOnly && string.IsNullOrWhiteSpace(options.DirectoryPath))
        {
            throw new ArgumentException($"{nameof(options.ReadOnly)} needs a {nameof(options.DirectoryPath)}.", nameof(options));
        }

        if (options.RecordSplitBytes is < 1024 or > StoreLog.MaxRecordPayload)
        {
            throw new ArgumentException($"{nameof(options.RecordSplitBytes)} must be between 1,024 and {StoreLog.MaxRecordPayload:N0}; got {options.RecordSplitBytes}.", nameof(options));
        }

        return new EmbeddedVectorStoreCore(options, logger ?? NullLogger.Instance);
    }

    /// <summary>A store that lives in memory only.</summary>
    public static IVectorStore InMemory() => new EmbeddedVectorStoreCore(new EmbeddedVectorStoreOptions(), NullLogger.Instance);
}

internal sealed class EmbeddedVectorStoreCore : IVectorStore, IDisposable
{
    /// <summary>Rebuild a collection's graph once this many chunks were removed since it was built, and at least as many as are live.</summary>
    internal const int MinRemovalsBeforeRebuild = 64;

    /// <summary>Replaced chunks (compared exactly on every search) that a collection holds at least before its graph is rebuilt.</summary>
    internal const int MinReplacementsBeforeRebuild = 256;

    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<DocumentKey, DocState> _documents = [];
    private readonly Dictionary<(string Tenant, string Collection), Partition> _partitions = [];
    private readonly StoreFolderLock? _folderLock;
    private readonly StoreLog? _log;
    private readonly EmbeddedVectorStoreOptions _options;
    private readonly ILogger _logger;
    private ulong _nextKey;
    private long _live;
    private long _superseded;
    private bool _disposed;
    private bool _replaying;

    public EmbeddedVectorStoreCore(EmbeddedVectorStoreOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        if (options.DirectoryPath is not { } dir)
        {
            return;
        }

        dir = Path.GetFullPath(dir);
        if (options.ReadOnly)
        {
            if (!Directory.Exists(dir))
            {
                throw new DirectoryNotFoundException($"The RagKit store folder '{dir}' does not exist; a read-only open creates nothing.");
            }
        }
        else
        {
            Directory.CreateDirectory(dir);
        }

        _folderLock = StoreFolderLock.Acquire(dir, options.ReadOnly);
        try
        {
            // Replay fills the collections without graphs, then builds each graph once from the live chunks only.
            _replaying = true;
            _log = StoreLog.Open(dir, options.ReadOnly, options.RecordSplitBytes, d => Apply(d), k => Remove(k), out StoreOpenReport report);
            _replaying = false;
            foreach (Partition p in _partitions.Values)
            {
                p.Rebuild();
            }

            if (report.UnacknowledgedBytes > 0)
            {
                if (options.ReadOnly)
                {
                    Log.StoreUnacknowledgedSkipped(_logger, _log.Path, report.UnacknowledgedBytes);
                }
                else
                {
                    Log.StoreUnacknowledgedCut(_logger, _log.Path, report.UnacknowledgedBytes);
                }
            }

            if (report.CompactionFinished)
            {
                Log.StoreCompactionFinished(_logger, _log.Path);
            }
        }
        catch
        {
            DisposeIndexes();
            _folderLock.Dispose();
            throw;
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

    /// <summary>How many times a collection's graph was rebuilt (tests and diagnostics).</summary>
    internal int Rebuilds { get; private set; }

    public ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ThrowIfReadOnly();
        foreach (StoredDocument d in documents)
        {
            ValidateShape(d);
        }

        StoreLog.Validate(documents, nameof(documents));
        cancellationToken.ThrowIfCancellationRequested();
        if (documents.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CheckDimensions(documents);

            // Everything is checked: write the whole batch, commit it, and only then change memory.
            _log?.AppendUpserts(documents);
            foreach (StoredDocument d in documents)
            {
                Apply(d);
            }

            AfterWrite();
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
        ThrowIfReadOnly();
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var existing = new List<DocumentKey>();
            var seen = new HashSet<DocumentKey>();
            foreach (DocumentKey key in documents)
            {
                if (_documents.ContainsKey(key) && seen.Add(key))
                {
                    existing.Add(key);
                }
            }

            if (existing.Count > 0)
            {
                _log?.AppendDeletes(existing);
                foreach (DocumentKey key in existing)
                {
                    Remove(key);
                }

                AfterWrite();
            }

            return ValueTask.FromResult(existing.Count);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
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
            ObjectDisposedException.ThrowIf(_disposed, this);
            _partitions.TryGetValue((query.Scope.Tenant, query.Scope.Collection), out Partition? partition);
            if (partition is { Chunks.Count: > 0 } && vector.Length != partition.Index.Dimensions)
            {
                throw new ArgumentException($"The query vector has {vector.Length} dimensions; the collection's vectors have {partition.Index.Dimensions}.", nameof(vector));
            }

            if (VectorProblem(vector.Span) is { } problem)
            {
                throw new ArgumentException($"The query vector {problem}.", nameof(vector));
            }

            if (partition is not { Chunks.Count: > 0 })
            {
                return ValueTask.FromResult<IReadOnlyList<ChunkMatch>>([]);
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
        _lock.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _log?.Dispose();
            DisposeIndexes();
            _folderLock?.Dispose();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Why a vector cannot be stored or searched for, or null when it can.</summary>
    private static string? VectorProblem(ReadOnlySpan<float> v)
    {
        // One pass in the common case: NaN and infinity make the sum of squares non-finite, all zeros make it 0.
        float sumOfSquares = TensorPrimitives.SumOfSquares(v);
        if (float.IsFinite(sumOfSquares) && sumOfSquares > 0)
        {
            return null;
        }

        for (int i = 0; i < v.Length; i++)
        {
            if (!float.IsFinite(v[i]))
            {
                return $"has {v[i]} at position {i}; vectors must be finite";
            }
        }

        return sumOfSquares == 0
            ? "is all zeros (or too small to normalize); it has no direction to compare"
            : "has values so large that its length overflows; embeddings are expected to be normalized";
    }

    private static void ValidateShape(StoredDocument d)
    {
        const string param = "documents";
        if (d is null)
        {
            throw new ArgumentNullException(param, "The batch holds a null document.");
        }

        if (d.Key.Tenant is null || d.Key.Collection is null || d.Key.DocumentId is null)
        {
            throw new ArgumentException($"Document '{d.Key}' has a key with a null part.", param);
        }

        if (d.AccessGroups is null || d.Chunks is null)
        {
            throw new ArgumentException($"Document '{d.Key}' has null access groups or chunks.", param);
        }

        foreach (string g in d.AccessGroups)
        {
            if (g is null)
            {
                throw new ArgumentException($"Document '{d.Key}' has a null access group.", param);
            }
        }

        foreach (StoredChunk c in d.Chunks)
        {
            if (c is null || c.ChunkId is null || c.Text is null)
            {
                throw new ArgumentException($"Document '{d.Key}' has a null chunk, chunk id or chunk text.", param);
            }

            if (c.Vector.Length == 0)
            {
                throw new ArgumentException($"Chunk '{c.ChunkId}' of document '{d.Key}' has an empty vector.", param);
            }

            if (VectorProblem(c.Vector.Span) is { } problem)
            {
                throw new ArgumentException($"The vector of chunk '{c.ChunkId}' of document '{d.Key}' {problem}.", param);
            }
        }
    }

    /// <summary>Every chunk of a collection has its dimensions: those stored, or else the batch's first.</summary>
    private void CheckDimensions(IReadOnlyList<StoredDocument> documents)
    {
        Dictionary<(string, string), int>? batchDims = null;
        foreach (StoredDocument d in documents)
        {
            var collection = (d.Key.Tenant, d.Key.Collection);
            foreach (StoredChunk c in d.Chunks)
            {
                int dims;
                if (_partitions.TryGetValue(collection, out Partition? p) && p.Chunks.Count > 0)
                {
                    dims = p.Index.Dimensions;
                }
                else
                {
                    batchDims ??= [];
                    if (!batchDims.TryGetValue(collection, out dims))
                    {
                        batchDims[collection] = dims = c.Vector.Length;
                    }
                }

                if (c.Vector.Length != dims)
                {
                    throw new ArgumentException($"Chunk '{c.ChunkId}' of document '{d.Key}' has {c.Vector.Length} dimensions; the collection's vectors have {dims}. Nothing of the batch was written.", "documents");
                }
            }
        }
    }

    private void ThrowIfReadOnly()
    {
        if (_options.ReadOnly)
        {
            throw new InvalidOperationException($"The RagKit store '{_options.DirectoryPath}' was opened read-only.");
        }
    }

    private void Apply(StoredDocument doc)
    {
        bool replacing = _documents.TryGetValue(doc.Key, out DocState? previous) && previous.Keys.Length > 0;
        Remove(doc.Key);
        var keyTuple = (doc.Key.Tenant, doc.Key.Collection);
        if (!_partitions.TryGetValue(keyTuple, out Partition? partition) || (partition.Chunks.Count == 0 && doc.Chunks.Count > 0 && partition.Index.Dimensions != doc.Chunks[0].Vector.Length))
        {
            int dims = doc.Chunks.Count > 0 ? doc.Chunks[0].Vector.Length : 0;
            if (dims == 0)
            {
                _documents[doc.Key] = new DocState(doc, []);
                return;
            }

            // A new collection, or an emptied one that now gets vectors of other dimensions.
            partition?.Index.Dispose();
            _partitions[keyTuple] = partition = new Partition(new HnswIndex(dims, ScalarKind.Float16));
        }

        ulong[] keys = new ulong[doc.Chunks.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            StoredChunk c = doc.Chunks[i];
            ulong k = ++_nextKey;
            float[] v = c.Vector.ToArray();
            partition.Add(k, new ChunkState(doc, c.ChunkId, c.Text, v), replacing, toGraph: !_replaying);
            keys[i] = k;
        }

        _documents[doc.Key] = new DocState(doc, keys);
        _live += keys.Length;
    }

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
            // The vectors stay in the graph as tombstones until the next rebuild: USearch reuses a removed node's
            // slot for the next add, and near-duplicate updates (an edited document) then cut live nodes off.
            foreach (ulong k in state.Keys)
            {
                partition.Chunks.Remove(k);
                partition.Orphans.Remove(k);
                partition.Replacements.Remove(k);
            }

            partition.RemovedSinceBuild += state.Keys.Length;
        }
    }

    private void AfterWrite()
    {
        foreach (Partition p in _partitions.Values)
        {
            if (p.NeedsRebuild)
            {
                p.Rebuild();
                Rebuilds++;
            }
        }

        MaybeCompact();
    }

    private void MaybeCompact()
    {
        if (_log is null || _superseded < 1000 || _superseded < _live * _options.CompactionRatio)
        {
            return;
        }

        try
        {
            _log.Compact(_documents.Values.Select(d => d.Document));
            _superseded = 0;
        }
        catch (IOException ex)
        {
            // The batch that triggered this is committed; a failed compaction leaves the old log current.
            Log.StoreCompactionFailed(_logger, ex, _log.Path);
        }
        catch (UnauthorizedAccessException ex)
        {
            Log.StoreCompactionFailed(_logger, ex, _log.Path);
        }
    }

    private void DisposeIndexes()
    {
        foreach (Partition p in _partitions.Values)
        {
            p.Index.Dispose();
        }
    }

    private sealed record DocState(StoredDocument Document, ulong[] Keys);

    private sealed record ChunkState(StoredDocument Document, string ChunkId, string Text, float[] Vector);

    private sealed class Partition(HnswIndex index)
    {
        /// <summary>How many nearest neighbours of a new chunk's own vector must include it.</summary>
        private const int OrphanCheckWidth = 8;

        private volatile bool _degraded;
        private int _orphansAfterBuild;

        public HnswIndex Index { get; private set; } = index;

        public Dictionary<ulong, ChunkState> Chunks { get; } = [];

        /// <summary>Chunks removed from the graph since it was built; removals leave it less connected.</summary>
        public long RemovedSinceBuild { get; set; }

        /// <summary>
        /// Live chunks that a search for their own vector did not reach right after they were added: HNSW's
        /// neighbour pruning can leave a near-duplicate of another node (an edited document next to its old
        /// version) without incoming links. Every search compares them exactly.
        /// </summary>
        public HashSet<ulong> Orphans { get; } = [];

        /// <summary>
        /// Chunks of documents that replaced an earlier version since the graph was built. A new version sits next
        /// to its old one (still a node until the rebuild), and HNSW's pruning can cut such near-duplicates off
        /// later, so searches compare these exactly; the graph is rebuilt when they reach an eighth of the chunks.
        /// </summary>
        public HashSet<ulong> Replacements { get; } = [];

        public bool NeedsRebuild =>
            _degraded
            || (RemovedSinceBuild >= MinRemovalsBeforeRebuild && RemovedSinceBuild >= Chunks.Count)
            || Replacements.Count >= Math.Max(MinReplacementsBeforeRebuild, Chunks.Count / 8)
            || Orphans.Count >= _orphansAfterBuild + Math.Max(MinRemovalsBeforeRebuild, Chunks.Count / 8);

        /// <summary>Adds a chunk to the graph and checks that a search for its own vector reaches it.</summary>
        public void Add(ulong key, ChunkState chunk, bool replacing, bool toGraph)
        {
            Chunks[key] = chunk;
            if (!toGraph)
            {
                return; // a replay builds the graph once at the end
            }

            AddToGraph(Index, key, chunk.Vector);
            if (replacing)
            {
                Replacements.Add(key);
            }
        }

        /// <summary>Builds a fresh graph of the live chunks (under the store's write lock).</summary>
        public void Rebuild()
        {
            var fresh = new HnswIndex(Index.Dimensions, ScalarKind.Float16);
            Orphans.Clear();
            Replacements.Clear();
            foreach ((ulong key, ChunkState c) in Chunks)
            {
                AddToGraph(fresh, key, c.Vector);
            }

            Index.Dispose();
            Index = fresh;
            RemovedSinceBuild = 0;
            _orphansAfterBuild = Orphans.Count;
            _degraded = false;
        }

        private void AddToGraph(HnswIndex index, ulong key, float[] vector)
        {
            index.Add(key, vector);
            Span<ulong> keys = stackalloc ulong[OrphanCheckWidth];
            Span<float> distances = stackalloc float[OrphanCheckWidth];
            int found = index.Search(vector, keys, distances);
            if (!keys[..found].Contains(key))
            {
                Orphans.Add(key);
            }
        }

        public IReadOnlyList<ChunkMatch> Search(ReadOnlySpan<float> query, VectorQuery q)
        {
            // Over-fetch so that tombstones and access-group filtering still leave TopK; widen when they do not.
            long graphSize = Chunks.Count + RemovedSinceBuild;
            int want = (int)Math.Min(graphSize, Math.Max(q.TopK * 4, 16));
            while (want < graphSize)
            {
                ulong[] keys = new ulong[want];
                float[] distances = new float[want];
                int found = Index.Search(query, keys, distances);
                if (found < want)
                {
                    // The graph reached fewer nodes than it holds: part of it is cut off. Answer exactly now,
                    // and have the next write rebuild it.
                    _degraded = true;
                    break;
                }

                var matches = new List<ChunkMatch>(Math.Min(found, q.TopK * 2));
                for (int i = 0; i < found; i++)
                {
                    if (Chunks.TryGetValue(keys[i], out ChunkState? c) && q.Scope.CanRead(c.Document.AccessGroups))
                    {
                        AddIfScored(matches, query, c, q.MinScore);
                    }
                }

                if (matches.Count >= q.TopK)
                {
                    AddExactly(matches, Orphans, keys.AsSpan(0, found), query, q);
                    AddExactly(matches, Replacements, keys.AsSpan(0, found), query, q);

                    return Top(matches, q.TopK);
                }

                want = (int)Math.Min(graphSize, (long)want * 4);
            }

            // Every chunk is wanted (or the graph cannot reach them all): compare against each one.
            var all = new List<ChunkMatch>(Math.Min(Chunks.Count, q.TopK * 4));
            foreach (ChunkState c in Chunks.Values)
            {
                if (q.Scope.CanRead(c.Document.AccessGroups))
                {
                    AddIfScored(all, query, c, q.MinScore);
                }
            }

            return Top(all, q.TopK);
        }

        /// <summary>Scores the chunks the graph may not reach and that are not among its results already.</summary>
        private void AddExactly(List<ChunkMatch> matches, HashSet<ulong> chunks, ReadOnlySpan<ulong> fromGraph, ReadOnlySpan<float> query, VectorQuery q)
        {
            foreach (ulong key in chunks)
            {
                ChunkState c = Chunks[key];
                if (q.Scope.CanRead(c.Document.AccessGroups) && !fromGraph.Contains(key) && !(chunks == Replacements && Orphans.Contains(key)))
                {
                    AddIfScored(matches, query, c, q.MinScore);
                }
            }
        }

        private static void AddIfScored(List<ChunkMatch> matches, ReadOnlySpan<float> query, ChunkState c, float minScore)
        {
            float score = TensorPrimitives.CosineSimilarity(query, c.Vector);
            if (score >= minScore)
            {
                matches.Add(new ChunkMatch(c.Document.Key, c.ChunkId, c.Text, score, c.Document.ContentHash, c.Document.Title));
            }
        }

        private static List<ChunkMatch> Top(List<ChunkMatch> matches, int topK)
        {
            matches.Sort(static (a, b) => b.Score.CompareTo(a.Score));
            if (matches.Count > topK)
            {
                matches.RemoveRange(topK, matches.Count - topK);
            }

            return matches;
        }
    }
}
