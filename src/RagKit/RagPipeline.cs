using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Hashing;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Generation;
using RagKit.Ingestion;
using RagKit.Internal;
using RagKit.Retrieval;

namespace RagKit;

/// <summary>The pipeline: the ask path through the tiers and the ingest path with provenance invalidation.</summary>
internal sealed partial class RagPipeline : IRagPipeline
{
    private const string ExtractiveModel = "extractive";

    /// <summary>Reported in <see cref="TierReport.SkippedTiers"/> when cached answers were bypassed because a feed was not caught up.</summary>
    internal const string UnconfirmedTier = "cache:unconfirmed-invalidations";
    private readonly RagKitOptions _options;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly IChatClient? _chat;
    private readonly IVectorStore _store;
    private readonly bool _ownsStore;
    private readonly PromptTemplate _template;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ExactAnswerCache _exact;
    private readonly InProcessSemanticCache _localSemantic;
    private readonly ISemanticAnswerCache[] _semanticTiers;
    private readonly RetrievalResultCache _retrievals;
    private readonly ConcurrentDictionary<FlightKey, Task<RagAnswer>> _flights = new();

    // Current content hash of every document this pipeline has seen; 0 marks a deleted one, DocumentVersion.Changing
    // one that an instance is writing. A cached answer whose provenance names another version is stale and never served.
    private readonly ConcurrentDictionary<DocumentKey, ulong> _documentVersions = new();

    // When each Changing mark expires (its writer died or was cut off before committing); then the version is learned again.
    private readonly ConcurrentDictionary<DocumentKey, DateTimeOffset> _changingUntil = new();

    // Shared tiers that carry document versions between instances; cached answers are served only while all are caught up.
    private readonly IDocumentInvalidationFeed[] _feeds;

    // UTC ticks of the last feed reset: answers created before it are never served (the feed lost track of versions).
    private long _resetAtTicks;

    internal RagPipeline(
        RagKitOptions options,
        IEmbeddingGenerator<string, Embedding<float>> embedder,
        IChatClient? chat,
        IVectorStore? store,
        PromptTemplate template,
        IReadOnlyList<ISemanticAnswerCache> sharedSemanticTiers,
        TimeProvider time,
        ILogger logger)
    {
        options.Validate();
        _options = options;
        _embedder = embedder;
        _chat = chat;
        _ownsStore = store is null;
        _store = store ?? EmbeddedVectorStore.InMemory();
        _template = template;
        _time = time;
        _logger = logger;
        _exact = new ExactAnswerCache(options.ExactCacheCapacity, options.ExactCacheMaxBytes, options.EvictionPolicy, time, options.AnswerSlidingExpiration);
        _localSemantic = new InProcessSemanticCache(options.SemanticCacheCapacityPerScope, options.EvictionPolicy, time, options.SemanticMatchRule, options.SemanticAnswerClusters, options.AnswerSlidingExpiration, options.SemanticCacheMaxBytesPerScope);
        _semanticTiers = [_localSemantic, .. sharedSemanticTiers];
        _feeds = sharedSemanticTiers.OfType<IDocumentInvalidationFeed>().ToArray();
        foreach (IDocumentInvalidationFeed feed in _feeds)
        {
            feed.DocumentsInvalidated += OnRemoteInvalidation;
        }
        _retrievals = new RetrievalResultCache(options.RetrievalCacheCapacityPerScope, options.RetrievalCacheThreshold);

        string model = options.ModelVersion
            ?? (chat is null ? ExtractiveModel : chat.GetService<ChatClientMetadata>()?.DefaultModelId ?? chat.GetType().FullName!);
        EmbeddingGeneratorMetadata? em = embedder.GetService<EmbeddingGeneratorMetadata>();
        string embedding = options.EmbeddingModelVersion
            ?? $"{em?.DefaultModelId ?? embedder.GetType().FullName}/{em?.DefaultModelDimensions}";
        string templateVersion = chat is null ? ExtractiveModel : $"{template.Version}/{options.PromptTemplateVersion}";
        VersionStamp = $"model={model};template={templateVersion};embedding={embedding}";

        // The first hit in a process should cost about what later ones do: warm the hit paths now, not on a user's ask.
        TierWarmUp.Run(options.EvictionPolicy, options.SemanticMatchRule, time);
    }

    /// <summary>Model, template and embedding versions; part of every cache scope.</summary>
    internal string VersionStamp { get; }

    internal ExactAnswerCache ExactTier => _exact;

    /// <summary>Shared exact tiers, consulted after L1 and before the semantic tiers.</summary>
    internal IReadOnlyList<IExactAnswerCache> SharedExactTiers { get; init; } = [];

    /// <summary>Cross-process single-flight; null for in-process single-flight only.</summary>
    internal ISingleFlightCoordinator? SingleFlight { get; init; }

    internal InProcessSemanticCache LocalSemanticTier => _localSemantic;

    internal RetrievalResultCache RetrievalTier => _retrievals;

    public ValueTask<RagAnswer> AskAsync(string question, AskOptions options, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        ValidateQuestion(question);
        ArgumentNullException.ThrowIfNull(options);
        ScopeKey scope = options.Scope.GetKey(ConversationScope.Stamp(VersionStamp, question, options.ConversationContext, options.DependsOnContext));

        if (options.UseCache && CachesServable() && TryExactHit(question, scope, out CachedAnswer? hit))
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            RecordHit(ExactAnswerCache.TierName, elapsed);
            return new ValueTask<RagAnswer>(FromCache(hit, new TierReport { Tier = AnswerTier.Exact, ExactLookup = elapsed, Total = elapsed }));
        }

        RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(ExactAnswerCache.TierName));
        return new ValueTask<RagAnswer>(AskSlowAsync(question, QuestionNormalizer.Normalize(question), scope, options, start, cancellationToken));
    }

    public async IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(string question, AskOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        ValidateQuestion(question);
        ArgumentNullException.ThrowIfNull(options);
        ScopeKey scope = options.Scope.GetKey(ConversationScope.Stamp(VersionStamp, question, options.ConversationContext, options.DependsOnContext));
        string normalized = QuestionNormalizer.Normalize(question);

        RagAnswer? ready = null;
        if (options.UseCache && CachesServable() && TryExactHit(question, scope, out CachedAnswer? hit))
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            RecordHit(ExactAnswerCache.TierName, elapsed);
            ready = FromCache(hit, new TierReport { Tier = AnswerTier.Exact, ExactLookup = elapsed, Total = elapsed });
        }

        var flightKey = new FlightKey(scope.Id, normalized);
        TaskCompletionSource<RagAnswer>? flight = null;
        while (ready is null && options.UseCache)
        {
            if (_flights.TryGetValue(flightKey, out Task<RagAnswer>? running))
            {
                ready = await JoinAsync(running, start, cancellationToken).ConfigureAwait(false);
                if (ready is not null)
                {
                    break;
                }

                continue;
            }

            flight = new TaskCompletionSource<RagAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_flights.TryAdd(flightKey, flight.Task))
            {
                break;
            }

            flight = null;
        }

        if (ready is not null)
        {
            foreach (string piece in Replay(ready.Text))
            {
                yield return new AnswerUpdate(piece, null);
            }

            yield return new AnswerUpdate(string.Empty, ready);
            yield break;
        }

        bool completed = false;
        try
        {
            StageTimings timings = NewTimings(options);
            Prepared prepared = await PrepareAsync(normalized, scope, options, timings, start, cancellationToken).ConfigureAwait(false);
            RagAnswer answer;
            if (prepared.CachedHit is not null)
            {
                answer = prepared.CachedHit;
                foreach (string piece in Replay(answer.Text))
                {
                    yield return new AnswerUpdate(piece, null);
                }
            }
            else if (_chat is null || prepared.Sources.Count == 0)
            {
                answer = await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
                foreach (string piece in Replay(answer.Text))
                {
                    yield return new AnswerUpdate(piece, null);
                }
            }
            else
            {
                long genStart = Stopwatch.GetTimestamp();
                var text = new StringBuilder();
                ChatFinishReason? finish = null;
                bool incomplete = false;
                await foreach (ChatResponseUpdate update in _chat.GetStreamingResponseAsync(_template.Render(question, prepared.Sources), null, cancellationToken).ConfigureAwait(false))
                {
                    finish ??= update.FinishReason;
                    incomplete |= update.AdditionalProperties?.TryGetValue("ragkit.incomplete", out object? v) == true && v is true;
                    string delta = update.Text;
                    if (delta.Length > 0)
                    {
                        text.Append(delta);
                        yield return new AnswerUpdate(delta, null);
                    }
                }

                bool complete = finish != ChatFinishReason.Length && !incomplete;
                timings.Generation = Stopwatch.GetElapsedTime(genStart);
                answer = await CompleteGenerationAsync(text.ToString(), complete, false, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
            }

            flight?.TrySetResult(answer);
            completed = true;
            yield return new AnswerUpdate(string.Empty, answer);
        }
        finally
        {
            if (flight is not null)
            {
                if (!completed)
                {
                    // Joiners see cancellation and run the ask themselves.
                    flight.TrySetCanceled(CancellationToken.None);
                }

                _flights.TryRemove(new KeyValuePair<FlightKey, Task<RagAnswer>>(flightKey, flight.Task));
            }
        }
    }

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
                _documentVersions[key] = hash;
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
            SetVersion(key, DocumentVersion.Deleted);
        }

        int removed = await _store.DeleteAsync(keys, cancellationToken).ConfigureAwait(false);
        await PublishVersionsAsync(keys.Select(k => new DocumentVersion(k, DocumentVersion.Deleted)).ToArray(), cancellationToken).ConfigureAwait(false);
        await InvalidateAsync(keys, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    public async Task<int> ReportWrongAnswerAsync(string question, AskOptions options, CancellationToken cancellationToken = default)
    {
        ValidateQuestion(question);
        ArgumentNullException.ThrowIfNull(options);
        ScopeKey scope = options.Scope.GetKey(ConversationScope.Stamp(VersionStamp, question, options.ConversationContext, options.DependsOnContext));
        string normalized = QuestionNormalizer.Normalize(question);
        int removed = 0;
        if (_exact.TryGet(scope, normalized) is not null)
        {
            _exact.Remove(scope, normalized);
            removed++;
        }

        foreach (IExactAnswerCache tier in SharedExactTiers)
        {
            try
            {
                removed += await tier.RemoveAsync(scope, normalized, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTierFailed(_logger, tier.Name, ex);
            }
        }

        foreach (ISemanticAnswerCache tier in _semanticTiers)
        {
            try
            {
                removed += await tier.RemoveAsync(scope, normalized, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTierFailed(_logger, tier.Name, ex);
            }
        }

        // The neighbourhood becomes stricter: every in-process entry that would serve this question again gets its
        // similarity floor raised above it.
        try
        {
            GeneratedEmbeddings<Embedding<float>> embedded = await _embedder.GenerateAsync([normalized], cancellationToken: cancellationToken).ConfigureAwait(false);
            _localSemantic.Penalize(scope, embedded[0].Vector.Span, options.SemanticThreshold ?? _options.SemanticThreshold);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogTierFailed(_logger, InProcessSemanticCache.TierName, ex);
        }

        return removed;
    }

    public void Dispose()
    {
        foreach (ISemanticAnswerCache tier in _semanticTiers)
        {
            if (tier is IDocumentInvalidationFeed feed)
            {
                feed.DocumentsInvalidated -= OnRemoteInvalidation;
            }
        }

        _localSemantic.Dispose();
        if (_ownsStore && _store is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <summary>
    /// Another instance changed or deleted documents: take their new versions (so answers built from them can be cached
    /// and served again) and drop the answers built from the old ones from the in-process tiers. Runs on the feed's
    /// thread before the feed reports itself caught up.
    /// </summary>
    private void OnRemoteInvalidation(object? sender, DocumentsInvalidatedEventArgs e)
    {
        if (e.IsReset)
        {
            // The feed lost track: nothing cached here before now is trusted again, and the versions start over.
            Volatile.Write(ref _resetAtTicks, _time.GetUtcNow().UtcTicks);
            _documentVersions.Clear();
            _changingUntil.Clear();
            _retrievals.Clear();
            foreach (DocumentVersion v in e.Versions)
            {
                SetVersion(v);
            }

            return;
        }

        if (e.Versions.Count > 0)
        {
            foreach (DocumentVersion v in e.Versions)
            {
                SetVersion(v);
            }
        }
        else
        {
            foreach (DocumentKey d in e.Documents)
            {
                _documentVersions.TryRemove(d, out _); // version unknown: learned again from retrieval
            }
        }

        int retrievals = _retrievals.InvalidateDocuments(e.Documents) + _retrievals.InvalidateCollections(e.Documents.Select(d => (d.Tenant, d.Collection)));
        RagKitTelemetry.Invalidations.Add(retrievals, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
        int n = _exact.InvalidateDocuments(e.Documents);
        RagKitTelemetry.Invalidations.Add(n, RagKitTelemetry.Tier(ExactAnswerCache.TierName));
        ValueTask<int> local = _localSemantic.InvalidateDocumentsAsync(e.Documents, CancellationToken.None);
        if (local.IsCompletedSuccessfully)
        {
            RagKitTelemetry.Invalidations.Add(local.Result, RagKitTelemetry.Tier(InProcessSemanticCache.TierName));
        }
        else
        {
            _ = local.AsTask();
        }
    }

    private bool TryExactHit(string question, in ScopeKey scope, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedAnswer? hit)
    {
        // Most questions do not grow under NFKC: a stack buffer of their length first, the worst case only when needed.
        char[]? rented = null;
        Span<char> buffer = question.Length <= 1008 ? stackalloc char[question.Length + 16] : default;
        try
        {
            if (!QuestionNormalizer.TryNormalize(question, buffer, out int n))
            {
                rented = ArrayPool<char>.Shared.Rent(QuestionNormalizer.MaxNormalizedLength(question.Length));
                buffer = rented;
                n = QuestionNormalizer.Normalize(question, buffer);
            }

            hit = _exact.TryGet(scope, buffer[..n]);
            if (hit is not null && !IsFresh(hit))
            {
                _exact.Remove(scope, hit.Question);
                hit = null;
            }

            return hit is not null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private async Task<RagAnswer> AskSlowAsync(string question, string normalized, ScopeKey scope, AskOptions options, long start, CancellationToken cancellationToken)
    {
        if (!options.UseCache)
        {
            return await ComputeAsync(question, normalized, scope, options, start, cancellationToken).ConfigureAwait(false);
        }

        var key = new FlightKey(scope.Id, normalized);
        while (true)
        {
            if (_flights.TryGetValue(key, out Task<RagAnswer>? running))
            {
                RagAnswer? joined = await JoinAsync(running, start, cancellationToken).ConfigureAwait(false);
                if (joined is not null)
                {
                    return joined;
                }

                continue;
            }

            var flight = new TaskCompletionSource<RagAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_flights.TryAdd(key, flight.Task))
            {
                continue;
            }

            try
            {
                RagAnswer answer = await ComputeAsync(question, normalized, scope, options, start, cancellationToken).ConfigureAwait(false);
                flight.TrySetResult(answer);
                return answer;
            }
            catch (OperationCanceledException)
            {
                flight.TrySetCanceled(CancellationToken.None);
                throw;
            }
            catch (Exception ex)
            {
                flight.TrySetException(ex);
                throw;
            }
            finally
            {
                _flights.TryRemove(new KeyValuePair<FlightKey, Task<RagAnswer>>(key, flight.Task));
            }
        }
    }

    /// <summary>Waits for an identical ask in flight; null when it was cancelled, so the caller runs the ask itself.</summary>
    private static async Task<RagAnswer?> JoinAsync(Task<RagAnswer> running, long start, CancellationToken cancellationToken)
    {
        RagKitTelemetry.SingleFlightJoins.Add(1);
        RagAnswer shared;
        try
        {
            shared = await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        TierReport r = shared.Report;
        return new RagAnswer
        {
            Text = shared.Text,
            Citations = shared.Citations,
            IsExtractive = shared.IsExtractive,
            IsComplete = shared.IsComplete,
            Report = new TierReport
            {
                Tier = r.Tier,
                Similarity = r.Similarity,
                MatchedQuestion = r.MatchedQuestion,
                JoinedInFlight = true,
                Embedding = r.Embedding,
                SemanticLookup = r.SemanticLookup,
                Retrieval = r.Retrieval,
                RetrievalCached = r.RetrievalCached,
                Generation = r.Generation,
                SkippedTiers = r.SkippedTiers,
                Total = Stopwatch.GetElapsedTime(start),
            },
        };
    }

    private async Task<RagAnswer> ComputeAsync(string question, string normalized, ScopeKey scope, AskOptions options, long start, CancellationToken cancellationToken)
    {
        using Activity? activity = RagKitTelemetry.Source.StartActivity("ragkit.ask");
        StageTimings timings = NewTimings(options);
        Prepared prepared = await PrepareAsync(normalized, scope, options, timings, start, cancellationToken).ConfigureAwait(false);
        RagAnswer answer = prepared.CachedHit
            ?? (SingleFlight is not null && options.UseCache && !timings.Unconfirmed
                ? await GenerateSingleFlightAsync(SingleFlight, question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false)
                : await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false));
        // The same value as the metrics' `tier` tag: the name of the tier that served, or "generated".
        activity?.SetTag("ragkit.tier", answer.Tier == AnswerTier.Generated ? RagKitTelemetry.GeneratedTier : timings.ServedBy ?? answer.Tier.ToString().ToLowerInvariant());
        return answer;
    }

    /// <summary>
    /// On a miss with a cross-process coordinator: one instance generates under a lease, the others wait for its answer.
    /// A coordinator that fails or is slow is skipped: the question is answered by generating here.
    /// </summary>
    private async Task<RagAnswer> GenerateSingleFlightAsync(ISingleFlightCoordinator coordinator, string question, string normalized, ScopeKey scope, AskOptions options, Prepared prepared, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        const string tierName = "singleflight";
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string? token;
            try
            {
                token = await coordinator.TryAcquireAsync(scope, normalized, cancellationToken).AsTask().WaitAsync(_options.TierTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogTierSkipped(_logger, tierName, ex is TimeoutException ? "timeout" : "error", ex);
                timings.Skip(tierName);
                break;
            }

            if (token is not null)
            {
                try
                {
                    return await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    try
                    {
                        await coordinator.ReleaseAsync(scope, normalized, token, timings.Cached, CancellationToken.None).AsTask().WaitAsync(_options.TierTimeout, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // The lease expires by itself; waiters then take over.
                        LogTierFailed(_logger, tierName, ex);
                    }
                }
            }

            CachedAnswer? waited;
            try
            {
                waited = await coordinator.WaitForAnswerAsync(scope, normalized, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogTierSkipped(_logger, tierName, "error", ex);
                timings.Skip(tierName);
                break;
            }

            if (waited is not null && string.Equals(waited.ScopeId, scope.Id, StringComparison.Ordinal) && IsFresh(waited) && CachesServable())
            {
                RagKitTelemetry.SingleFlightJoins.Add(1);
                CachedAnswer promoted = Rekey(waited, normalized);
                _exact.Set(scope, promoted);
                if (!prepared.Vector.IsEmpty)
                {
                    await _localSemantic.StoreAsync(scope, prepared.Vector, promoted, cancellationToken).ConfigureAwait(false);
                }

                return FromCache(waited, new TierReport
                {
                    Tier = AnswerTier.Generated,
                    JoinedInFlight = true,
                    Embedding = timings.Embedding,
                    SemanticLookup = timings.SemanticLookup,
                    Retrieval = timings.Retrieval,
                    SkippedTiers = timings.Skipped,
                    Total = Stopwatch.GetElapsedTime(start),
                });
            }
        }

        return await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
    }

    private Task<CachedAnswer?> SharedExactLookupAsync(IExactAnswerCache tier, ScopeKey scope, string normalized, StageTimings timings, CancellationToken cancellationToken) =>
        LookupWithinBudgetAsync(tier.Name, (tier, scope, normalized), static (s, ct) => s.tier.GetAsync(s.scope, s.normalized, ct), timings, cancellationToken);

    /// <summary>Embeds the question, looks up the semantic tiers and, on a miss, retrieves the sources.</summary>
    private async Task<Prepared> PrepareAsync(string normalized, ScopeKey scope, AskOptions options, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        RememberScope(scope, options.Scope);
        long t = Stopwatch.GetTimestamp();
        bool useCache = options.UseCache && !timings.Unconfirmed;
        if (useCache)
        {
            foreach (IExactAnswerCache tier in SharedExactTiers)
            {
                CachedAnswer? shared = await SharedExactLookupAsync(tier, scope, normalized, timings, cancellationToken).ConfigureAwait(false);
                if (shared is null || !string.Equals(shared.ScopeId, scope.Id, StringComparison.Ordinal)
                    || !string.Equals(shared.Question, normalized, StringComparison.Ordinal) || !IsFresh(shared) || !CachesServable())
                {
                    RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(tier.Name));
                    continue;
                }

                TimeSpan elapsed = Stopwatch.GetElapsedTime(t);
                RecordHit(tier.Name, elapsed);
                timings.ServedBy = tier.Name;
                _exact.Set(scope, shared);
                return new Prepared(ReadOnlyMemory<float>.Empty, [], FromCache(shared, new TierReport
                {
                    Tier = AnswerTier.Exact,
                    ExactLookup = elapsed,
                    SkippedTiers = timings.Skipped,
                    Total = elapsed,
                }));
            }

            t = Stopwatch.GetTimestamp();
        }

        GeneratedEmbeddings<Embedding<float>> embeddings = await _embedder.GenerateAsync([normalized], cancellationToken: cancellationToken).ConfigureAwait(false);
        EmbeddingValidation.ThrowIfInvalid(embeddings, 1, _embedder, _ => $"the question '{Abbreviate(normalized)}'");
        ReadOnlyMemory<float> vector = embeddings[0].Vector;
        timings.Embedding = Stopwatch.GetElapsedTime(t);

        if (useCache)
        {
            t = Stopwatch.GetTimestamp();
            var query = new SemanticQuery(scope, normalized, vector, options.SemanticThreshold ?? _options.SemanticThreshold) { Rule = _options.SemanticMatchRule };
            foreach (ISemanticAnswerCache tier in _semanticTiers)
            {
                SemanticCacheHit? hit;
                if (ReferenceEquals(tier, _localSemantic) && _options.SemanticMatchRule is VerifiedMatchRule)
                {
                    // The verified rule may explore: a miss whose generated answer is verified against the cached one.
                    hit = _localSemantic.Find(query, out SemanticExploration exploration);
                    timings.Exploration = exploration;
                }
                else
                {
                    hit = await LookupWithinBudgetAsync(tier, query, timings, cancellationToken).ConfigureAwait(false);
                }

                if (hit is null)
                {
                    RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(tier.Name));
                    continue;
                }

                if (!string.Equals(hit.Answer.ScopeId, scope.Id, StringComparison.Ordinal) || !IsFresh(hit.Answer) || !CachesServable())
                {
                    // Never served: another scope's entry (a broken tier) or built from a changed document.
                    RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(tier.Name));
                    continue;
                }

                timings.SemanticLookup = Stopwatch.GetElapsedTime(t);
                RecordHit(tier.Name, timings.SemanticLookup);
                timings.ServedBy = tier.Name;
                CachedAnswer promoted = Rekey(hit.Answer, normalized);
                _exact.Set(scope, promoted);
                if (!ReferenceEquals(tier, _localSemantic))
                {
                    await _localSemantic.StoreAsync(scope, vector, promoted, cancellationToken).ConfigureAwait(false);
                }

                return new Prepared(vector, [], FromCache(hit.Answer, new TierReport
                {
                    Tier = AnswerTier.Semantic,
                    Similarity = hit.Similarity,
                    MatchedQuestion = hit.Answer.Question,
                    Embedding = timings.Embedding,
                    SemanticLookup = timings.SemanticLookup,
                    SkippedTiers = timings.Skipped,
                    Total = Stopwatch.GetElapsedTime(start),
                }));
            }

            timings.SemanticLookup = Stopwatch.GetElapsedTime(t);
        }

        t = Stopwatch.GetTimestamp();
        var vectorQuery = new VectorQuery(options.Scope, options.TopK ?? _options.TopK, _options.MinRetrievalScore);
        bool useRetrievalCache = (options.UseRetrievalCache ?? options.UseCache) && !timings.Unconfirmed;
        string retrievalKey = string.Create(CultureInfo.InvariantCulture, $"{scope.Id}|k={vectorQuery.TopK}|min={vectorQuery.MinScore}");
        IReadOnlyList<ChunkMatch>? sources = useRetrievalCache ? _retrievals.Find(retrievalKey, normalized, vector.Span, out _) : null;
        if (sources is not null && !SourcesAreCurrent(sources))
        {
            sources = null; // built from a document version that has since changed: a miss
        }

        if (sources is not null)
        {
            timings.RetrievalCached = true;
            RecordHit(RetrievalResultCache.TierName, Stopwatch.GetElapsedTime(t));
        }
        else
        {
            if (useRetrievalCache)
            {
                RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
            }

            sources = await _store.SearchAsync(vector, vectorQuery, cancellationToken).ConfigureAwait(false);
            if (useRetrievalCache)
            {
                _retrievals.Store(retrievalKey, options.Scope.Tenant, options.Scope.Collection, normalized, vector.Span, sources);
            }
        }

        timings.Retrieval = Stopwatch.GetElapsedTime(t);
        foreach (ChunkMatch m in sources)
        {
            LearnVersion(m.Document, m.DocumentHash);
        }

        return new Prepared(vector, sources, null);
    }

    private Task<SemanticCacheHit?> LookupWithinBudgetAsync(ISemanticAnswerCache tier, SemanticQuery query, StageTimings timings, CancellationToken cancellationToken) =>
        LookupWithinBudgetAsync(tier.Name, (tier, query), static (s, ct) => s.tier.FindAsync(s.query, ct), timings, cancellationToken);

    /// <summary>Calls a cache tier within its time budget; a failing or slow tier is skipped (null), never fatal.</summary>
    private async Task<T?> LookupWithinBudgetAsync<TState, T>(string tierName, TState state, Func<TState, CancellationToken, ValueTask<T?>> lookup, StageTimings timings, CancellationToken cancellationToken)
        where T : class
    {
        long t = Stopwatch.GetTimestamp();
        try
        {
            ValueTask<T?> pending = lookup(state, cancellationToken);
            T? hit = pending.IsCompletedSuccessfully
                ? pending.Result
                : await pending.AsTask().WaitAsync(_options.TierTimeout, cancellationToken).ConfigureAwait(false);
            RagKitTelemetry.LookupDuration.Record(Stopwatch.GetElapsedTime(t).TotalMilliseconds, RagKitTelemetry.Tier(tierName));
            return hit;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            SkipTier(tierName, ex);
            timings.Skip(tierName);
            return null;
        }
    }

    private async Task<RagAnswer> GenerateAsync(string question, string normalized, ScopeKey scope, AskOptions options, Prepared prepared, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        long t = Stopwatch.GetTimestamp();
        string text;
        bool complete = true;
        bool extractive = _chat is null || prepared.Sources.Count == 0;
        if (extractive)
        {
            ExtractiveAnswer extracted = await ExtractiveAnswerer.AnswerAsync(question, prepared.Vector, prepared.Sources, _embedder, cancellationToken).ConfigureAwait(false);
            text = extracted.Text;
            prepared = prepared with { Sources = extracted.Sources }; // the same sources, cited ones first: [n] is the n-th of them
        }
        else
        {
            ChatResponse response = await _chat!.GetResponseAsync(_template.Render(question, prepared.Sources), null, cancellationToken).ConfigureAwait(false);
            text = response.Text;
            complete = response.FinishReason != ChatFinishReason.Length
                && !(response.AdditionalProperties?.TryGetValue("ragkit.incomplete", out object? v) == true && v is true);
        }

        timings.Generation = Stopwatch.GetElapsedTime(t);
        return await CompleteGenerationAsync(text, complete, extractive, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RagAnswer> CompleteGenerationAsync(string text, bool complete, bool extractive, string normalized, ScopeKey scope, AskOptions options, Prepared prepared, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        RagKitTelemetry.Generations.Add(1, new KeyValuePair<string, object?>("generator", extractive ? ExtractiveModel : "chat"));
        RagKitTelemetry.GenerationDuration.Record(timings.Generation.TotalMilliseconds);
        IReadOnlyList<ChunkMatch> sources = prepared.Sources;
        List<Citation> citations = CitationParser.Parse(text, sources);

        var answer = new RagAnswer
        {
            Text = text,
            Citations = citations,
            IsExtractive = extractive,
            IsComplete = complete,
            Report = new TierReport
            {
                Tier = AnswerTier.Generated,
                Embedding = timings.Embedding,
                SemanticLookup = timings.SemanticLookup,
                Retrieval = timings.Retrieval,
                RetrievalCached = timings.RetrievalCached,
                Generation = timings.Generation,
                SkippedTiers = timings.Skipped,
                Total = Stopwatch.GetElapsedTime(start),
            },
        };

        RagKitTelemetry.AskDuration.Record(answer.Report.Total.TotalMilliseconds, RagKitTelemetry.Tier(RagKitTelemetry.GeneratedTier));

        bool sameAsExplored = false;
        if (complete && timings.Exploration.IsExplore && _options.AnswerVerifier is { } verifier)
        {
            sameAsExplored = await verifier.SameAnswerAsync(normalized, timings.Exploration.Answer!.Text, text, cancellationToken).ConfigureAwait(false);
            _localSemantic.RecordVerification(timings.Exploration, sameAsExplored);
        }

        // Only complete answers built from sources that are still current are cached (the fence: a source that changed
        // or is being changed while the answer was generated has another version here by now), and only while this
        // instance is caught up with the other instances' changes.
        if (options.UseCache && !timings.Unconfirmed && complete && sources.Count > 0 && SourcesAreCurrent(sources) && CachesServable())
        {
            DateTimeOffset now = _time.GetUtcNow();
            var cached = new CachedAnswer
            {
                Question = normalized,
                ScopeId = scope.Id,
                Text = text,
                Citations = citations,
                Provenance = sources.Select(s => new ProvenanceEntry(s.Document, s.ChunkId, s.DocumentHash)).ToArray(),
                IsExtractive = extractive,
                GenerationCost = timings.Generation,
                CreatedAt = now,
                ExpiresAt = now + _options.AnswerTtl,
                AnswerEmbedding = await AnswerEmbeddings.TryEmbedAsync(_embedder, _options.SemanticMatchRule, text, cancellationToken).ConfigureAwait(false),
            };
            _exact.Set(scope, cached);
            timings.Cached = cached;
            foreach (IExactAnswerCache tier in SharedExactTiers)
            {
                if (SourcesAreCurrent(sources))
                {
                    await SharedExactStoreAsync(tier, scope, cached, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (ISemanticAnswerCache tier in _semanticTiers)
            {
                if (!SourcesAreCurrent(sources))
                {
                    break; // a source changed while storing: stop sharing the answer (serving still checks versions)
                }

                if (sameAsExplored && ReferenceEquals(tier, _localSemantic))
                {
                    // Verified the same answer: the question joins the explored entry's answer cluster.
                    _localSemantic.Store(scope, prepared.Vector, cached, timings.Exploration);
                    continue;
                }

                await StoreWithinBudgetAsync(tier, scope, prepared.Vector, cached, cancellationToken).ConfigureAwait(false);
            }
        }

        return answer;
    }

    private Task StoreWithinBudgetAsync(ISemanticAnswerCache tier, ScopeKey scope, ReadOnlyMemory<float> vector, CachedAnswer cached, CancellationToken cancellationToken) =>
        StoreWithinBudgetAsync(tier.Name, (tier, scope, vector, cached), static (s, ct) => s.tier.StoreAsync(s.scope, s.vector, s.cached, ct), cancellationToken);

    private Task SharedExactStoreAsync(IExactAnswerCache tier, ScopeKey scope, CachedAnswer cached, CancellationToken cancellationToken) =>
        StoreWithinBudgetAsync(tier.Name, (tier, scope, cached), static (s, ct) => s.tier.SetAsync(s.scope, s.cached, ct), cancellationToken);

    /// <summary>Writes to a cache tier within its time budget; a failing or slow tier is skipped, never fatal.</summary>
    private async Task StoreWithinBudgetAsync<TState>(string tierName, TState state, Func<TState, CancellationToken, ValueTask> store, CancellationToken cancellationToken)
    {
        try
        {
            ValueTask pending = store(state, cancellationToken);
            if (!pending.IsCompletedSuccessfully)
            {
                await pending.AsTask().WaitAsync(_options.TierTimeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            SkipTier(tierName, ex);
        }
    }

    private void SkipTier(string tierName, Exception ex)
    {
        string reason = ex is TimeoutException ? "timeout" : "error";
        RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(tierName), new KeyValuePair<string, object?>("reason", reason));
        LogTierSkipped(_logger, tierName, reason, ex);
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
            SetVersion(d.Key, d.ContentHash);
        }

        await _store.UpsertAsync(batch.ToArray(), cancellationToken).ConfigureAwait(false);

        // A new or changed document can enter any retrieval result of its collection.
        int dropped = _retrievals.InvalidateCollections(batch.Select(d => (d.Key.Tenant, d.Key.Collection)));
        RagKitTelemetry.Invalidations.Add(dropped, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
        await PublishVersionsAsync(batch.Select(d => new DocumentVersion(d.Key, d.ContentHash)).ToArray(), cancellationToken).ConfigureAwait(false);
        DocumentKey[] changed = keys.Where(replaced.Contains).ToArray();
        return changed.Length > 0 ? await InvalidateAsync(changed, cancellationToken).ConfigureAwait(false) : 0;
    }

    /// <summary>Tells every feed that documents are about to change; when one cannot be told, nothing is written.</summary>
    private Task PublishChangingAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) =>
        PublishToFeedsAsync(
            (documents, cancellationToken),
            static (feed, s) => feed.PublishChangingAsync(s.documents, s.cancellationToken),
            documents.Count,
            "change",
            $"RagKit could not tell the other instances that {documents.Count} document(s) are changing, so none of them was written: "
            + "the shared tier that carries invalidations is unreachable or too slow. For cached answers RagKit chooses consistency over "
            + "availability; retry the ingest or delete when the tier is back.",
            cancellationToken);

    /// <summary>Publishes new versions to every feed; the ingest or delete returns only once they are durable.</summary>
    private Task PublishVersionsAsync(IReadOnlyList<DocumentVersion> versions, CancellationToken cancellationToken) =>
        PublishToFeedsAsync(
            (versions, cancellationToken),
            static (feed, s) => feed.PublishVersionsAsync(s.versions, s.cancellationToken),
            versions.Count,
            "version",
            $"RagKit wrote {versions.Count} document(s) but could not publish their new versions to the other instances. They serve no "
            + "answer built from these documents until the change mark expires, then learn the versions from retrieval; retry the ingest "
            + "or delete to commit at once.",
            cancellationToken);

    /// <summary>Runs one publish on every feed; a failure is logged and thrown as an <see cref="InvalidOperationException"/> saying what it means.</summary>
    private async Task PublishToFeedsAsync<TState>(TState state, Func<IDocumentInvalidationFeed, TState, ValueTask> publish, int count, string what, string failure, CancellationToken cancellationToken)
    {
        foreach (IDocumentInvalidationFeed feed in _feeds)
        {
            try
            {
                await publish(feed, state).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogPublishFailed(_logger, count, what, ex);
                throw new InvalidOperationException(failure, ex);
            }
        }
    }

    private async Task<int> InvalidateAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        int total = _exact.InvalidateDocuments(documents);
        RagKitTelemetry.Invalidations.Add(total, RagKitTelemetry.Tier(ExactAnswerCache.TierName));
        int retrievals = _retrievals.InvalidateDocuments(documents);
        RagKitTelemetry.Invalidations.Add(retrievals, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
        foreach (IExactAnswerCache tier in SharedExactTiers)
        {
            total += await InvalidateTierAsync(tier.Name, (tier, documents), static (s, ct) => s.tier.InvalidateDocumentsAsync(s.documents, ct), cancellationToken).ConfigureAwait(false);
        }

        foreach (ISemanticAnswerCache tier in _semanticTiers)
        {
            total += await InvalidateTierAsync(tier.Name, (tier, documents), static (s, ct) => s.tier.InvalidateDocumentsAsync(s.documents, ct), cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>Invalidates one tier; a failure is logged, and the freshness check still keeps its stale entries from being served here.</summary>
    private async Task<int> InvalidateTierAsync<TState>(string tierName, TState state, Func<TState, CancellationToken, ValueTask<int>> invalidate, CancellationToken cancellationToken)
    {
        try
        {
            int n = await invalidate(state, cancellationToken).ConfigureAwait(false);
            RagKitTelemetry.Invalidations.Add(n, RagKitTelemetry.Tier(tierName));
            return n;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogTierFailed(_logger, tierName, ex);
            return 0;
        }
    }

    /// <summary>True while every feed is caught up (or there is none): only then are cached answers served or stored.</summary>
    private bool CachesServable()
    {
        foreach (IDocumentInvalidationFeed feed in _feeds)
        {
            if (!feed.IsCaughtUp)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Stage timings of one ask; when a feed is not caught up, every cache tier is bypassed and reported skipped.</summary>
    private StageTimings NewTimings(AskOptions options)
    {
        var timings = new StageTimings();
        if (options.UseCache && !CachesServable())
        {
            timings.Unconfirmed = true;
            timings.Skip(UnconfirmedTier);
            RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(UnconfirmedTier), new KeyValuePair<string, object?>("reason", "unconfirmed"));
        }

        return timings;
    }

    private void SetVersion(DocumentKey document, ulong version) => SetVersion(new DocumentVersion(document, version));

    private void SetVersion(DocumentVersion v)
    {
        if (v.Version == DocumentVersion.Changing)
        {
            _changingUntil[v.Document] = v.ChangingUntil;
        }
        else
        {
            _changingUntil.TryRemove(v.Document, out _);
        }

        _documentVersions[v.Document] = v.Version;
    }

    /// <summary>Takes a document's version from retrieval when none is known, or when a change mark expired without a commit.</summary>
    private void LearnVersion(DocumentKey document, ulong version)
    {
        if (_documentVersions.TryAdd(document, version))
        {
            return;
        }

        if (_documentVersions.TryGetValue(document, out ulong current) && current == DocumentVersion.Changing
            && (!_changingUntil.TryGetValue(document, out DateTimeOffset until) || until <= _time.GetUtcNow())
            && _documentVersions.TryUpdate(document, version, DocumentVersion.Changing))
        {
            _changingUntil.TryRemove(document, out _);
        }
    }

    private bool IsFresh(CachedAnswer answer)
    {
        long resetAt = Volatile.Read(ref _resetAtTicks);
        if (resetAt != 0 && answer.CreatedAt.UtcTicks <= resetAt)
        {
            return false;
        }

        foreach (ProvenanceEntry p in answer.Provenance)
        {
            if (_documentVersions.TryGetValue(p.Document, out ulong current) && current != p.DocumentHash)
            {
                return false;
            }
        }

        return true;
    }

    private bool SourcesAreCurrent(IReadOnlyList<ChunkMatch> sources)
    {
        foreach (ChunkMatch s in sources)
        {
            if (_documentVersions.TryGetValue(s.Document, out ulong current) && current != s.DocumentHash)
            {
                return false;
            }
        }

        return true;
    }

    private void ValidateQuestion(string question)
    {
        if (question is null)
        {
            throw new ArgumentNullException(nameof(question), "The question must not be null.");
        }

        if (string.IsNullOrWhiteSpace(question))
        {
            throw new ArgumentException("The question must not be empty or whitespace.", nameof(question));
        }

        if (question.Length > _options.MaxQuestionLength)
        {
            throw new ArgumentException($"The question is {question.Length} characters long; the limit is {_options.MaxQuestionLength} (RagKitOptions.MaxQuestionLength).", nameof(question));
        }

        TextValidation.ThrowIfInvalidUtf16(question, nameof(question), "The question");
    }

    /// <summary>The start of a text for an error message.</summary>
    private static string Abbreviate(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");

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

    private static RagAnswer FromCache(CachedAnswer cached, TierReport report) => new()
    {
        Text = cached.Text,
        Citations = cached.Citations,
        IsExtractive = cached.IsExtractive,
        Report = report,
    };

    private static CachedAnswer Rekey(CachedAnswer a, string normalized) => string.Equals(a.Question, normalized, StringComparison.Ordinal) ? a : new CachedAnswer
    {
        Question = normalized,
        ScopeId = a.ScopeId,
        Text = a.Text,
        Citations = a.Citations,
        Provenance = a.Provenance,
        IsExtractive = a.IsExtractive,
        GenerationCost = a.GenerationCost,
        CreatedAt = a.CreatedAt,
        ExpiresAt = a.ExpiresAt,
    };

    private static void RecordHit(string tier, TimeSpan elapsed)
    {
        RagKitTelemetry.Hits.Add(1, RagKitTelemetry.Tier(tier));
        RagKitTelemetry.AskDuration.Record(elapsed.TotalMilliseconds, RagKitTelemetry.Tier(tier));
    }

    private static IEnumerable<string> Replay(string text)
    {
        // Cached answers stream word by word, so callers handle hits and misses the same way.
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ' && i > start)
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit skipped the {Tier} tier ({Reason}); the question is answered from the next tier.")]
    private static partial void LogTierSkipped(ILogger logger, string tier, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit could not update the {Tier} tier.")]
    private static partial void LogTierFailed(ILogger logger, string tier, Exception exception);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "RagKit could not publish the {What} of {Count} document(s) to the other instances.")]
    private static partial void LogPublishFailed(ILogger logger, int count, string what, Exception exception);

    private readonly record struct FlightKey(string ScopeId, string Question);

    private sealed record Prepared(ReadOnlyMemory<float> Vector, IReadOnlyList<ChunkMatch> Sources, RagAnswer? CachedHit);

    private sealed class StageTimings
    {
        private List<string>? _skipped;

        /// <summary>The name of the cache tier that served the ask (the metrics' and traces' `tier` value); null on a miss.</summary>
        public string? ServedBy { get; set; }

        public TimeSpan Embedding { get; set; }

        /// <summary>The candidate a verified match rule explored on this ask (default: none).</summary>
        public SemanticExploration Exploration { get; set; }

        public TimeSpan SemanticLookup { get; set; }

        public TimeSpan Retrieval { get; set; }

        public bool RetrievalCached { get; set; }

        public TimeSpan Generation { get; set; }

        /// <summary>The answer as cached after generation (null when it was not cacheable).</summary>
        public CachedAnswer? Cached { get; set; }

        public IReadOnlyList<string> Skipped => _skipped ?? (IReadOnlyList<string>)[];

        public void Skip(string tier) => (_skipped ??= []).Add(tier);

        /// <summary>True when a feed was not caught up as the ask began: no cache tier is read or written.</summary>
        public bool Unconfirmed { get; set; }
    }
}
