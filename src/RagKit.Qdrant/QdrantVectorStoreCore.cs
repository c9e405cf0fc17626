using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using RagKit.Retrieval;
using static Qdrant.Client.Grpc.Conditions;

namespace RagKit.Qdrant;

/// <summary>
/// <see cref="IVectorStore"/> over Qdrant. One Qdrant collection per RagKit collection and embedding model version
/// (tenants share it and are separated by a payload filter); one point per chunk with a deterministic UUID.
/// </summary>
internal sealed class QdrantVectorStoreCore : IVectorStore, IDisposable
{
    internal const string TenantField = "tenant";
    internal const string CollectionField = "collection";
    internal const string GroupsField = "groups";
    internal const string DocumentField = "doc_id";
    internal const string OrdinalField = "ordinal";
    internal const string ChunkIdField = "chunk_id";
    internal const string TextField = "text";
    internal const string HashField = "doc_hash";
    internal const string TitleField = "title";
    internal const string ChunkCountField = "chunk_count";

    private readonly QdrantVectorStoreOptions _options;
    private readonly ILogger _logger;
    private readonly QdrantClient _client;
    private readonly Uri _endpoint;

    // Qdrant collection name -> its vector size once known (created or read from the server).
    private readonly ConcurrentDictionary<string, Lazy<Task<ulong?>>> _collections = new(StringComparer.Ordinal);

    public QdrantVectorStoreCore(QdrantVectorStoreOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _endpoint = options.Https && options.Endpoint.Scheme == Uri.UriSchemeHttp
            ? new UriBuilder(options.Endpoint) { Scheme = Uri.UriSchemeHttps }.Uri
            : options.Endpoint;
        _client = new QdrantClient(_endpoint, options.ApiKey, options.Timeout);
    }

    public async ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken)
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

        foreach (IGrouping<string, StoredDocument> group in documents.Where(d => d.Chunks.Count > 0).GroupBy(d => CollectionName(d.Key.Collection), StringComparer.Ordinal))
        {
            int dims = group.First().Chunks[0].Vector.Length;
            foreach (StoredDocument d in group)
            {
                foreach (StoredChunk c in d.Chunks)
                {
                    if (c.Vector.Length != dims)
                    {
                        throw new ArgumentException($"Chunk '{c.ChunkId}' of document '{d.Key}' has {c.Vector.Length} dimensions; other chunks in the batch have {dims}.", nameof(documents));
                    }
                }
            }

            await EnsureCollectionAsync(group.Key, (ulong)dims, create: true, "documents", cancellationToken).ConfigureAwait(false);

            var points = new List<PointStruct>(_options.UpsertBatchSize);
            foreach (StoredDocument d in group)
            {
                foreach (StoredChunk c in d.Chunks)
                {
                    points.Add(ToPoint(d, c));
                    if (points.Count == _options.UpsertBatchSize)
                    {
                        await UpsertBatchAsync(group.Key, points, cancellationToken).ConfigureAwait(false);
                        points.Clear();
                    }
                }
            }

            if (points.Count > 0)
            {
                await UpsertBatchAsync(group.Key, points, cancellationToken).ConfigureAwait(false);
            }

            // The new version's points overwrote the old ones with the same ordinals (same ids); drop the rest.
            foreach (StoredDocument d in group)
            {
                Filter stale = DocumentFilter(d.Key) & Range(OrdinalField, new global::Qdrant.Client.Grpc.Range { Gte = d.Chunks.Count });
                await CallAsync("delete", () => _client.DeleteAsync(group.Key, stale, _options.WaitForConsistency, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
            }
        }

        // Documents without chunks leave nothing behind.
        foreach (StoredDocument d in documents.Where(d => d.Chunks.Count == 0))
        {
            await DeleteAsync([d.Key], cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<int> DeleteAsync(IReadOnlyList<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        int removed = 0;
        foreach (DocumentKey key in documents.Distinct())
        {
            string name = CollectionName(key.Collection);
            if (await EnsureCollectionAsync(name, null, create: false, "documents", cancellationToken).ConfigureAwait(false) is null)
            {
                continue;
            }

            if (await GetDocumentAsync(key, cancellationToken).ConfigureAwait(false) is null)
            {
                continue;
            }

            await CallAsync("delete", () => _client.DeleteAsync(name, DocumentFilter(key), _options.WaitForConsistency, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
            removed++;
        }

        return removed;
    }

    public async ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(ReadOnlyMemory<float> vector, VectorQuery query, CancellationToken cancellationToken)
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

        string name = CollectionName(query.Scope.Collection);
        ulong? size = await EnsureCollectionAsync(name, null, create: false, nameof(vector), cancellationToken).ConfigureAwait(false);
        if (size is null)
        {
            return [];
        }

        if ((ulong)vector.Length != size)
        {
            throw new ArgumentException($"The query vector has {vector.Length} dimensions; the collection's vectors have {size} (Qdrant collection '{name}'). A new embedding model needs a new {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.EmbeddingModelVersion)}.", nameof(vector));
        }

        IReadOnlyList<ScoredPoint> points = await CallAsync(
            "search",
            () => _client.QueryAsync(name, vector.ToArray(), filter: ScopeFilter(query.Scope), scoreThreshold: query.MinScore, limit: (ulong)query.TopK, payloadSelector: true, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);

        var matches = new List<ChunkMatch>(points.Count);
        foreach (ScoredPoint p in points)
        {
            var payload = p.Payload;
            matches.Add(new ChunkMatch(
                new DocumentKey(payload[TenantField].StringValue, payload[CollectionField].StringValue, payload[DocumentField].StringValue),
                payload[ChunkIdField].StringValue,
                payload[TextField].StringValue,
                p.Score,
                ulong.Parse(payload[HashField].StringValue, CultureInfo.InvariantCulture),
                payload.TryGetValue(TitleField, out Value? title) && title.HasStringValue ? title.StringValue : null));
        }

        return matches;
    }

    public async ValueTask<DocumentInfo?> GetDocumentAsync(DocumentKey key, CancellationToken cancellationToken)
    {
        string name = CollectionName(key.Collection);
        if (await EnsureCollectionAsync(name, null, create: false, nameof(key), cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        ScrollResponse page = await CallAsync(
            "scroll",
            () => _client.ScrollAsync(name, DocumentFilter(key), limit: 1, payloadSelector: new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { HashField, GroupsField, ChunkCountField } } }, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (page.Result.Count == 0)
        {
            return null;
        }

        var payload = page.Result[0].Payload;
        string[] groups = payload.TryGetValue(GroupsField, out Value? g) && g.ListValue is { } list
            ? list.Values.Select(v => v.StringValue).ToArray()
            : [];
        return new DocumentInfo(key, ulong.Parse(payload[HashField].StringValue, CultureInfo.InvariantCulture), groups, (int)payload[ChunkCountField].IntegerValue);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Qdrant's health call, for the health check: the server's title and version.</summary>
    internal async Task<string> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var reply = await _client.HealthAsync(cancellationToken).ConfigureAwait(false);
        return $"{reply.Title} {reply.Version}";
    }

    /// <summary>The Qdrant collection of a RagKit collection: prefix, sanitized name, a hash of the exact name, model version.</summary>
    internal string CollectionName(string collection)
    {
        var sb = new StringBuilder(_options.CollectionPrefix);
        foreach (char c in collection.Length > 48 ? collection[..48] : collection)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(collection));
        sb.Append('_').Append(Convert.ToHexStringLower(hash, 0, 4)).Append("__").Append(_options.EmbeddingModelVersion);
        return sb.ToString();
    }

    /// <summary>A stable point id: a UUID (version 8) from tenant, collection, document id and chunk ordinal.</summary>
    internal static Guid PointId(DocumentKey key, int ordinal)
    {
        string s = string.Join('\u001f', key.Tenant, key.Collection, key.DocumentId, ordinal.ToString(CultureInfo.InvariantCulture));
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(s));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    internal static Filter ScopeFilter(RagScope scope)
    {
        // tenant AND collection AND (no groups OR any of the scope's groups)
        Condition readable = IsEmpty(GroupsField);
        if (scope.AccessGroups.Count > 0)
        {
            readable |= Match(GroupsField, scope.AccessGroups.ToArray());
        }

        return new Filter { Must = { MatchKeyword(TenantField, scope.Tenant), MatchKeyword(CollectionField, scope.Collection), readable } };
    }

    private static Filter DocumentFilter(DocumentKey key) =>
        new() { Must = { MatchKeyword(TenantField, key.Tenant), MatchKeyword(CollectionField, key.Collection), MatchKeyword(DocumentField, key.DocumentId) } };

    private static PointStruct ToPoint(StoredDocument d, StoredChunk c)
    {
        var point = new PointStruct
        {
            Id = PointId(d.Key, c.Ordinal),
            Vectors = c.Vector.ToArray(),
        };
        point.Payload[TenantField] = d.Key.Tenant;
        point.Payload[CollectionField] = d.Key.Collection;
        point.Payload[DocumentField] = d.Key.DocumentId;
        point.Payload[GroupsField] = d.AccessGroups.ToArray();
        point.Payload[OrdinalField] = c.Ordinal;
        point.Payload[ChunkIdField] = c.ChunkId;
        point.Payload[TextField] = c.Text;
        point.Payload[HashField] = d.ContentHash.ToString(CultureInfo.InvariantCulture);
        point.Payload[ChunkCountField] = d.Chunks.Count;
        if (d.Title is not null)
        {
            point.Payload[TitleField] = d.Title;
        }

        return point;
    }

    private async Task UpsertBatchAsync(string name, List<PointStruct> points, CancellationToken cancellationToken)
    {
        PointStruct[] batch = points.ToArray();
        await CallAsync("upsert", () => _client.UpsertAsync(name, batch, _options.WaitForConsistency, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The vector size of a Qdrant collection, creating it (with payload indexes) when <paramref name="create"/> and
    /// <see cref="QdrantVectorStoreOptions.CreateCollections"/>; null when it does not exist and is not created.
    /// </summary>
    private async Task<ulong?> EnsureCollectionAsync(string name, ulong? dims, bool create, string paramName, CancellationToken cancellationToken)
    {
        ulong? size;
        if (_collections.TryGetValue(name, out Lazy<Task<ulong?>>? known))
        {
            size = await known.Value.ConfigureAwait(false);
        }
        else
        {
            size = await ReadSizeAsync(name, cancellationToken).ConfigureAwait(false);
            if (size is not null)
            {
                _collections.TryAdd(name, new Lazy<Task<ulong?>>(Task.FromResult(size)));
            }
        }

        if (size is null && !create)
        {
            if (!_options.CreateCollections)
            {
                throw new InvalidOperationException($"The Qdrant collection '{name}' does not exist at {_endpoint} and {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.CreateCollections)} is false. Create it, or check {nameof(QdrantVectorStoreOptions.CollectionPrefix)} and {nameof(QdrantVectorStoreOptions.EmbeddingModelVersion)}.");
            }

            return null;
        }

        if (size is null)
        {
            if (!_options.CreateCollections)
            {
                throw new InvalidOperationException($"The Qdrant collection '{name}' does not exist at {_endpoint} and {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.CreateCollections)} is false. Create it with vector size {dims} and cosine distance, or set CreateCollections to true.");
            }

            Lazy<Task<ulong?>> creation = _collections.GetOrAdd(name, n => new Lazy<Task<ulong?>>(() => CreateCollectionAsync(n, dims!.Value, CancellationToken.None)));
            try
            {
                size = await creation.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _collections.TryRemove(new KeyValuePair<string, Lazy<Task<ulong?>>>(name, creation));
                throw;
            }
        }

        if (dims is { } d && size != d)
        {
            throw new ArgumentException($"The vectors have {d} dimensions; the Qdrant collection '{name}' holds vectors of size {size}. A new embedding model needs a new {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.EmbeddingModelVersion)}.", paramName);
        }

        return size;
    }

    private async Task<ulong?> ReadSizeAsync(string name, CancellationToken cancellationToken)
    {
        if (!await CallAsync("collection_exists", () => _client.CollectionExistsAsync(name, cancellationToken), cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        CollectionInfo info = await CallAsync("get_collection", () => _client.GetCollectionInfoAsync(name, cancellationToken), cancellationToken).ConfigureAwait(false);
        VectorParams? p = info.Config?.Params?.VectorsConfig?.Params;
        if (p is null)
        {
            throw new InvalidOperationException($"The Qdrant collection '{name}' at {_endpoint} has no single unnamed vector; it was not created by RagKit. Use another {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.CollectionPrefix)}.");
        }

        if (p.Distance != Distance.Cosine)
        {
            throw new InvalidOperationException($"The Qdrant collection '{name}' at {_endpoint} uses {p.Distance} distance; RagKit needs Cosine. Use another {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.CollectionPrefix)}.");
        }

        return p.Size;
    }

    private async Task<ulong?> CreateCollectionAsync(string name, ulong dims, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync("create_collection", async () => { await _client.CreateCollectionAsync(name, new VectorParams { Size = dims, Distance = Distance.Cosine }, cancellationToken: cancellationToken).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
            Log.CollectionCreated(_logger, name, dims);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
        {
            // Another instance created it first.
            return await ReadSizeAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.AlreadyExists })
        {
            return await ReadSizeAsync(name, cancellationToken).ConfigureAwait(false);
        }

        foreach (string field in new[] { TenantField, CollectionField, GroupsField, DocumentField })
        {
            await CallAsync("create_field_index", () => _client.CreatePayloadIndexAsync(name, field, PayloadSchemaType.Keyword, wait: true, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        await CallAsync("create_field_index", () => _client.CreatePayloadIndexAsync(name, OrdinalField, PayloadSchemaType.Integer, wait: true, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        return dims;
    }

    /// <summary>Runs a call, retrying transient failures with exponential backoff; turns the final failure into a clear error.</summary>
    private async Task<T> CallAsync<T>(string operation, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.InitialRetryDelay;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (RpcException ex) when (IsTransient(ex.StatusCode) && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= _options.MaxRetries)
                {
                    throw new InvalidOperationException(
                        $"Qdrant {operation} failed at {_endpoint} after {attempt + 1} attempts ({ex.StatusCode}: {ex.Status.Detail}). Check {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.Endpoint)} (the gRPC port, 6334 by default), {nameof(QdrantVectorStoreOptions.Timeout)} and {nameof(QdrantVectorStoreOptions.MaxRetries)}.",
                        ex);
                }

                Log.Retry(_logger, operation, attempt + 1, ex.StatusCode, delay.TotalMilliseconds);
                double jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
                await Task.Delay(delay * jitter, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated || ex.StatusCode == StatusCode.PermissionDenied)
            {
                throw new InvalidOperationException($"Qdrant at {_endpoint} refused {operation} ({ex.StatusCode}): check {nameof(QdrantVectorStoreOptions)}.{nameof(QdrantVectorStoreOptions.ApiKey)}.", ex);
            }
        }
    }

    private static bool IsTransient(StatusCode code) => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;
}
