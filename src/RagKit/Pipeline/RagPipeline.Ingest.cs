using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Ingestion;
using RagKit.Internal;
using RagKit.Retrieval;

namespace RagKit;

/// <summary>Ingestion and deletion: chunk, embed, write per batch, and invalidate what was built from the old versions.</summary>
internal sealed partial class RagPipeline
{
    public async Task<IngestResult> IngestAsync(RagScope scope, IEnumerable<RagDocument> documents, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(documents);
        List<RagDocument> docs = ValidateDocuments(documents);

        using Activity? activity = RagKitTelemetry.Source.StartActivity("ragkit.ingest");
        activity?.SetTag("ragkit.documents", docs.Count);

        int added = 0, updated = 0, unchanged = 0, chunkCount = 0, embedded = 0, invalidated = 0;
        var replaced = new HashSet<DocumentKey>(); // documents that had another version: their cached answers are invalidated
        var pending = new List<(RagDocument Doc, DocumentKey Key, ulong Hash, IReadOnlyList<string> Groups, List<string> Chunks)>();
        foreach (RagDocument doc in docs)
        {
            var key = new DocumentKey(scope.Tenant, scope.Collection, doc.Id);
            IReadOnlyList<string> groups = doc.AccessGroups is null ? scope.AccessGroups : new RagScope(scope.Tenant, scope.Collection, doc.AccessGroups).AccessGroups;
            ulong hash = ContentHash(doc.Text, groups);
            DocumentInfo? existing = await _store.GetDocumentAsync(key, cancellationToken).ConfigureAwait(false);
            if (existing is not null && existing.ContentHash == hash)
            {
                unchanged++;
                _tiers.Versions.Set(key, hash);
                continue;
            }

            if (existing is null)
            {
                added++;
            }
            else
            {
                updated++;
                replaced.Add(key);
            }

            pending.Add((doc, key, hash, groups, StructuredChunker.Chunk(doc.Text, _options.ChunkSize, _options.ChunkOverlap)));
        }

        // Embed in batches across documents, then write each batch of finished documents.
        int done = unchanged;
        int chunksTotal = pending.Sum(p => p.Chunks.Count);
        progress?.Report(new IngestProgress(done, docs.Count, 0, chunksTotal));
        var batchDocs = new List<StoredDocument>();
        var texts = new List<string>(_options.EmbeddingBatchSize);
        foreach (var p in pending)
        {
            var chunks = new StoredChunk[p.Chunks.Count];
            for (int offset = 0; offset < p.Chunks.Count; offset += _options.EmbeddingBatchSize)
            {
                texts.Clear();
                for (int i = offset; i < Math.Min(p.Chunks.Count, offset + _options.EmbeddingBatchSize); i++)
                {
                    texts.Add(p.Chunks[i]);
                }

                GeneratedEmbeddings<Embedding<float>> vectors = await _embedder.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
                EmbeddingValidation.ThrowIfInvalid(vectors, texts.Count, _embedder, i => $"chunk {offset + i} of document '{p.Doc.Id}'");

                for (int i = 0; i < texts.Count; i++)
                {
                    int ordinal = offset + i;
                    chunks[ordinal] = new StoredChunk($"{p.Doc.Id}#{ordinal}", ordinal, p.Chunks[ordinal], vectors[i].Vector);
                }

                embedded += texts.Count;
                progress?.Report(new IngestProgress(done, docs.Count, embedded, chunksTotal));
            }

            batchDocs.Add(new StoredDocument(p.Key, p.Hash, p.Groups, chunks, p.Doc.Title));
            chunkCount += chunks.Length;
            if (batchDocs.Count >= 16)
            {
                invalidated += await WriteDocumentsAsync(batchDocs, replaced, cancellationToken).ConfigureAwait(false);
                done += batchDocs.Count;
                batchDocs.Clear();
                progress?.Report(new IngestProgress(done, docs.Count, embedded, chunksTotal));
            }
        }

        if (batchDocs.Count > 0)
        {
            invalidated += await WriteDocumentsAsync(batchDocs, replaced, cancellationToken).ConfigureAwait(false);
            done += batchDocs.Count;
        }

        progress?.Report(new IngestProgress(done, docs.Count, embedded, chunksTotal));
        RagKitTelemetry.IngestedChunks.Add(chunkCount);
        return new IngestResult(added, updated, unchanged, chunkCount, invalidated);
    }

    public async Task<int> DeleteDocumentsAsync(RagScope scope, IEnumerable<string> documentIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(documentIds);
        var keys = new List<DocumentKey>();
        foreach (string? id in documentIds)
        {
            if (string.IsNullOrWhiteSpace(id))
            {
                throw new ArgumentException("A document id must not be null, empty or whitespace.", nameof(documentIds));
            }

            TextValidation.ThrowIfInvalidUtf16(id, nameof(documentIds), $"Document id '{id}'");

            keys.Add(new DocumentKey(scope.Tenant, scope.Collection, id));
        }

        // Other instances learn of the change before the store is written and of its result before this returns.
        await PublishChangingAsync(keys, cancellationToken).ConfigureAwait(false);
        foreach (DocumentKey key in keys)
        {
            _tiers.Versions.Set(key, DocumentVersion.Deleted);
        }

        int removed = await _store.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
        await PublishVersionsAsync(keys.Select(k => new DocumentVersion(k, DocumentVersion.Deleted)).ToArray(), cancellationToken).ConfigureAwait(false);
        await _tiers.InvalidateDocumentsAsync(keys, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    /// <summary>
    /// Writes one batch and commits it on its own, so a later batch that fails leaves this one invalidated everywhere:
    /// the change is published first (nothing is written when that fails), then the store, then the new versions, then
    /// the cached answers built from the old versions are removed. Returns how many cached answers were removed.
    /// </summary>
    private async Task<int> WriteDocumentsAsync(List<StoredDocument> batch, HashSet<DocumentKey> replaced, CancellationToken cancellationToken)
    {
        DocumentKey[] keys = batch.Select(d => d.Key).ToArray();
        await PublishChangingAsync(keys, cancellationToken).ConfigureAwait(false);

        // The version table moves first: from here on, answers built from the old text fail the freshness check.
        foreach (StoredDocument d in batch)
        {
            _tiers.Versions.Set(d.Key, d.ContentHash);
        }

        await _store.UpsertAsync(batch.ToArray(), cancellationToken).ConfigureAwait(false);

        // A new or changed document can enter any retrieval result of its collection.
        if (_tiers.Retrievals is { } retrievals)
        {
            int dropped = retrievals.InvalidateCollections(batch.Select(d => (d.Key.Tenant, d.Key.Collection)));
            RagKitTelemetry.Invalidations.Add(dropped, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
        }
        await PublishVersionsAsync(batch.Select(d => new DocumentVersion(d.Key, d.ContentHash)).ToArray(), cancellationToken).ConfigureAwait(false);
        DocumentKey[] changed = keys.Where(replaced.Contains).ToArray();
        return changed.Length > 0 ? await _tiers.InvalidateDocumentsAsync(changed, cancellationToken).ConfigureAwait(false) : 0;
    }


    private List<RagDocument> ValidateDocuments(IEnumerable<RagDocument> documents)
    {
        var list = new List<RagDocument>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (RagDocument? doc in documents)
        {
            if (doc is null)
            {
                throw new ArgumentException($"Document at index {index} is null.", nameof(documents));
            }

            if (!ids.Add(doc.Id))
            {
                throw new ArgumentException($"Document id '{doc.Id}' appears more than once in this batch.", nameof(documents));
            }

            if (doc.Text.Length > _options.MaxDocumentLength)
            {
                throw new ArgumentException($"Document '{doc.Id}' is {doc.Text.Length} characters long; the limit is {_options.MaxDocumentLength} (RagKitOptions.MaxDocumentLength).", nameof(documents));
            }

            list.Add(doc);
            index++;
        }

        return list;
    }

    private static ulong ContentHash(string text, IReadOnlyList<string> groups)
    {
        var hash = new XxHash3();
        hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(text.AsSpan()));
        foreach (string g in groups)
        {
            hash.Append([0]);
            hash.Append(Encoding.UTF8.GetBytes(g));
        }

        ulong h = hash.GetCurrentHashAsUInt64();
        return h switch
        {
            DocumentVersion.Deleted => 1,
            DocumentVersion.Changing => DocumentVersion.Changing - 1,
            _ => h,
        };
    }
}
