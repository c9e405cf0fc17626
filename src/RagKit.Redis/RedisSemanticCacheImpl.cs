using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using RagKit.Caching;
using RagKit.Providers;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>
/// The shared semantic tier. Redis holds every entry (answer + compressed question embedding + provenance, with TTL);
/// each instance keeps a local HNSW mirror per scope, loaded from the scope's vector hash and kept current from one
/// change stream. A lookup searches the mirror locally and fetches the candidates with one MGET (one round trip;
/// a scope's keys share a hash tag, so this works on Redis Cluster), then re-scores them against the stored embedding.
/// </summary>
internal sealed class RedisSemanticCacheImpl : IRedisSemanticCache, IDocumentInvalidationFeed, IAsyncDisposable
{
    /// <summary>Candidates this far below the threshold (by the int8 mirror's estimate) are still re-scored exactly.</summary>
    internal const float MirrorMargin = 0.03f;

    /// <summary>Nearest cached questions whose answers a new answer may be linked to on insert (as the in-process tier).</summary>
    internal const int LinkNeighbours = 16;

    /// <summary>Links answers on insert when no lookup has named a rule yet (the default rule's answer similarity and margin).</summary>
    private static readonly ISemanticMatchRule DefaultLinkRule = SemanticMatchRules.Neighbourhood();

    private readonly RedisSemanticCacheOptions _o;
    private readonly ILogger _log;
    private readonly IConnectionMultiplexer _mux;
    private readonly bool _ownsMux;
    private readonly IDatabase _db;
    private readonly CircuitBreaker _breaker;
    private readonly ConcurrentDictionary<string, ScopeMirror> _mirrors = new(StringComparer.Ordinal);
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly RedisKey _stream;
    private readonly RedisKey[] _feedKeys;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _streamReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RedisCache _distributed;
    private readonly Thread _follower;
    private readonly TaskCompletionSource _followerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private int _released;
    private readonly long _windowTicks;
    private readonly object _subscribers = new();
    private EventHandler<DocumentsInvalidatedEventArgs>? _documentsInvalidated;

    // TimeProvider timestamp at which the last successful stream read that reached the end began: every version
    // committed before it has been applied. 0 until the first one; IsCaughtUp compares it with the window.
    private long _confirmedAt;
    private volatile bool _needSnapshot = true;
    private bool _resetNeeded;
    private string? _epoch;
    private string _last = "0-0";
    private long _feedResets;
    private long _keysRepaired;
    private long _remoteInvalidations;
    private long _streamEventsApplied;
    private long _roundTrips;

    // The rule of the latest lookup that compares answers by embedding: its answer similarity and margin link answers on
    // insert (the pipeline asks before it stores). Each link records its similarity, so a lookup under a stricter rule
    // ignores it.
    private ISemanticMatchRule? _linkRule;

    public RedisSemanticCacheImpl(RedisSemanticCacheOptions options, ILogger logger)
    {
        _o = options;
        _log = logger;
        _breaker = new CircuitBreaker(options.BreakerFailureThreshold, options.BreakerOpenDuration, options.TimeProvider);
        if (options.Connection is not null)
        {
            _mux = options.Connection;
        }
        else
        {
            ConfigurationOptions config = options.Configuration?.Clone() ?? ConfigurationOptions.Parse(options.ConnectionString!);
            config.AbortOnConnectFail = false;
            config.BacklogPolicy = BacklogPolicy.FailFast;
            _mux = ConnectionMultiplexer.Connect(config);
            _ownsMux = true;
        }

        _db = _mux.GetDatabase();
        _stream = $"{options.KeyPrefix}:stream";
        _feedKeys = [_stream, VersionRegistry.EpochKey(options.KeyPrefix), VersionRegistry.RegistryKey(options.KeyPrefix)];
        _windowTicks = (long)(options.FreshnessWindow.TotalSeconds * options.TimeProvider.TimestampFrequency);
        IConnectionMultiplexer mux = _mux;
        _distributed = new RedisCache(new Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult(mux),
        });
        ExactCache = new DistributedExactTier(_distributed, options.KeyPrefix, options.MaxValueBytes, options.TimeProvider, _breaker, options.TierTimeout, logger);
        SingleFlight = new RedisSingleFlight(this);

        // A dedicated thread, so a busy thread pool cannot delay the reads that keep this instance confirmed.
        _follower = new Thread(FollowStream) { IsBackground = true, Name = "RagKit.Redis change stream" };
        _follower.Start();
    }

    public event EventHandler<DocumentsInvalidatedEventArgs>? DocumentsInvalidated
    {
        add
        {
            lock (_subscribers)
            {
                _documentsInvalidated += value;
            }

            // A new subscriber needs every version, not only the ones after now: the follower takes a snapshot first.
            Volatile.Write(ref _confirmedAt, 0);
            _needSnapshot = true;
        }

        remove
        {
            lock (_subscribers)
            {
                _documentsInvalidated -= value;
            }
        }
    }

    public bool IsCaughtUp
    {
        get
        {
            long confirmed = Volatile.Read(ref _confirmedAt);
            return confirmed != 0 && _o.TimeProvider.GetTimestamp() - confirmed <= _windowTicks;
        }
    }

    /// <summary>TimeProvider timestamp at which the last confirming read began (0: none yet; for tests and the harness).</summary>
    internal long ConfirmedAt => Volatile.Read(ref _confirmedAt);

    /// <summary>Times the follower started over (Redis lost its data, a key was repaired, or entries were trimmed unread).</summary>
    internal long FeedResets => Interlocked.Read(ref _feedResets);

    /// <summary>Keys of the wrong type that were deleted so invalidation keeps working.</summary>
    internal long KeysRepaired => Interlocked.Read(ref _keysRepaired);

    public string Name => RedisSemanticCache.TierName;

    public ISingleFlightCoordinator SingleFlight { get; }

    public IExactAnswerCache ExactCache { get; }

    public bool IsAvailable => !_breaker.IsOpen;

    internal RedisSemanticCacheOptions Options => _o;

    /// <summary>True once the change-stream follower has stopped (after disposal).</summary>
    internal bool FollowerStopped => _followerExited.Task.IsCompleted;

    internal ILogger Logger => _log;

    /// <summary>One PING on the tier's connection, for the health check; outside the breaker, so it cannot open it.</summary>
    internal Task<TimeSpan> PingAsync() => _db.PingAsync();

    internal IDatabase Database => _db;

    /// <summary>Invalidations from other instances applied so far (for tests).</summary>
    internal long RemoteInvalidations => Interlocked.Read(ref _remoteInvalidations);

    /// <summary>Change-stream events applied so far (for tests and benchmarks).</summary>
    internal long StreamEventsApplied => Interlocked.Read(ref _streamEventsApplied);

    /// <summary>Round trips made through <see cref="RunAsync{T}"/> (one per command or batch; for benchmarks).</summary>
    internal long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Quantization of the local mirrors (int8 by default; the benchmark compares).</summary>
    internal ScalarKind MirrorQuantization { get; set; } = ScalarKind.Int8;

    /// <summary>HNSW build effort of the mirrors: 64 keeps recall at the threshold; lower loads faster (docs/redis.md, the trade-off run).</summary>
    internal int MirrorExpansionAdd { get; set; } = 64;

    /// <summary>HNSW search effort of the mirrors.</summary>
    internal int MirrorExpansionSearch { get; set; } = 64;

    internal int MirrorCount(ulong scopeHash) => _mirrors.TryGetValue(EntryCodec.Hex(scopeHash), out ScopeMirror? m) ? m.Count : 0;

    internal bool MirrorContains(ulong scopeHash, ulong id) => _mirrors.TryGetValue(EntryCodec.Hex(scopeHash), out ScopeMirror? m) && m.Contains(id);

    internal bool IsMirrorLoaded(ulong scopeHash) => _mirrors.TryGetValue(EntryCodec.Hex(scopeHash), out ScopeMirror? m) && m.IsLoaded;

    // ---- keys: a scope's keys share the hash tag {s<hash>} so multi-key reads stay in one cluster slot ----

    internal string ScopeTag(string scopeHex) => $"{_o.KeyPrefix}:{{s{scopeHex}}}";

    internal RedisKey EntryKey(string scopeHex, ulong id) => $"{ScopeTag(scopeHex)}:e:{EntryCodec.Hex(id)}";

    internal RedisKey VectorsKey(string scopeHex) => $"{ScopeTag(scopeHex)}:v";

    internal RedisKey QuestionsKey(string scopeHex) => $"{ScopeTag(scopeHex)}:q";

    internal RedisKey DocumentKeyOf(DocumentKey d) => $"{_o.KeyPrefix}:d:{{{EntryCodec.DocumentHex(d)}}}";

    /// <summary>Runs one Redis operation within the time budget behind the circuit breaker.</summary>
    internal async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation)
    {
        if (!_breaker.TryEnter(out long trial))
        {
            throw new RedisTierUnavailableException();
        }

        Interlocked.Increment(ref _roundTrips);
        bool reported = false;
        try
        {
            T result = await operation(_db).WaitAsync(_o.TierTimeout, _o.TimeProvider).ConfigureAwait(false);
            _breaker.Success();
            reported = true;
            return result;
        }
        catch (Exception ex) when (RedisFaults.IsWrongType(ex))
        {
            // Redis answered: a poisoned key is bad data, not an unavailable tier.
            _breaker.Success();
            reported = true;
            throw;
        }
        catch (Exception ex) when (RedisFaults.IsTierFailure(ex))
        {
            _breaker.Failure(trial);
            reported = true;
            throw;
        }
        finally
        {
            if (!reported)
            {
                _breaker.Abandon(trial);
            }
        }
    }

    public async ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken)
    {
        if (query.Embedding.Length != _o.Dimensions)
        {
            return null;
        }

        if (AnswerLinks.AnswerSimilarity(query.Rule) > 0 && !ReferenceEquals(Volatile.Read(ref _linkRule), query.Rule))
        {
            Volatile.Write(ref _linkRule, query.Rule);
        }

        string scopeHex = EntryCodec.Hex(query.Scope.Hash);
        ScopeMirror mirror = GetMirror(scopeHex);
        if (!mirror.IsLoaded)
        {
            // A new instance loads the scope's mirror first; within the budget, or the lookup uses what is loaded so far.
            try
            {
                await mirror.LoadEnded.WaitAsync(_o.TierTimeout, _o.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        var keys = new ulong[_o.Candidates];
        var distances = new float[_o.Candidates];
        int found = mirror.Search(query.Embedding.Span, keys, distances);
        float cut = query.Rule?.CandidateFloor(query.Threshold) ?? query.Threshold;
        if (found == 0 || 1f - distances[0] < cut - MirrorMargin)
        {
            return null; // nothing near enough: no round trip at all
        }

        // With a rule, every neighbour is fetched: the ones below the cut are the candidates' answer neighbourhood.
        var ids = new List<ulong>(found);
        for (int i = 0; i < found; i++)
        {
            if (query.Rule is not null || 1f - distances[i] >= cut - MirrorMargin)
            {
                ids.Add(keys[i]);
            }
        }

        var entryKeys = new RedisKey[ids.Count];
        for (int i = 0; i < ids.Count; i++)
        {
            entryKeys[i] = EntryKey(scopeHex, ids[i]);
        }

        RedisValue[] values = await RunAsync(db => db.StringGetAsync(entryKeys)).ConfigureAwait(false);
        DateTimeOffset now = _o.TimeProvider.GetUtcNow();
        var neighbours = new List<Neighbour>(values.Length);
        List<(string, ulong)>? gone = null;
        List<(string, ulong)>? corrupt = null;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].IsNull)
            {
                // Redis no longer holds it (TTL or removal on another instance): a miss, and dropped from the mirror.
                mirror.Remove(ids[i]);
                (gone ??= []).Add((scopeHex, ids[i]));
                continue;
            }

            byte[] bytes = (byte[])values[i]!;
            var stored = new float[_o.Dimensions]; // kept: the outlier gap compares the candidate with its neighbours
            float[]? answerVector = AnswersComparedAtLookup ? new float[_o.Dimensions] : null;
            if (bytes.Length > _o.MaxValueBytes || !EntryCodec.TryDecodeEntry(bytes, _o.Dimensions, stored, out CachedAnswer? answer, out EntryLink link, answerVector))
            {
                Log.CorruptEntry(_log, entryKeys[i].ToString());
                (corrupt ??= []).Add((scopeHex, ids[i]));
                continue;
            }

            if (!string.Equals(answer!.ScopeId, query.Scope.Id, StringComparison.Ordinal) || answer.ExpiresAt <= now)
            {
                continue; // never served outside its scope or after expiry
            }

            neighbours.Add(new Neighbour(TensorPrimitives.CosineSimilarity(query.Embedding.Span, stored), answer, ids[i], link) { AnswerVector = answerVector, Vector = stored });
        }

        neighbours.Sort(static (x, y) => y.Similarity.CompareTo(x.Similarity));
        if (AnswersComparedAtLookup)
        {
            RelinkAtLookup(query, neighbours);
        }

        (CachedAnswer Answer, float Similarity, ulong Id)? chosen = Choose(query, neighbours, cut, full: found == _o.Candidates);
        if (gone is not null)
        {
            // The vector hash has no per-field TTL: drop the vectors of expired entries, without waiting.
            foreach ((string s, ulong id) in gone)
            {
                _ = _db.HashDeleteAsync(VectorsKey(s), EntryCodec.Hex(id), CommandFlags.FireAndForget);
            }
        }

        if (corrupt is not null)
        {
            await RemoveEntriesAsync(corrupt).ConfigureAwait(false);
        }

        if (chosen is not { } hit)
        {
            return null;
        }

        mirror.Touch(hit.Id);
        return new SemanticCacheHit(hit.Answer, hit.Similarity);
    }

    /// <summary>A fetched neighbour of a lookup: its similarity to the question, its answer and what its entry says of the answer.</summary>
    private readonly record struct Neighbour(float Similarity, CachedAnswer Answer, ulong Id, EntryLink Link)
    {
        /// <summary>The decoded answer vector (only when <see cref="AnswersComparedAtLookup"/>).</summary>
        public float[]? AnswerVector { get; init; }

        /// <summary>The stored question vector.</summary>
        public float[]? Vector { get; init; }
    }

    /// <summary>
    /// For the benchmark only: ignore the links stored on insert and replay the insert-time join among the lookup's own
    /// neighbours instead (oldest first, each joining an older neighbour's answer by <see cref="AnswerLinks.Choose"/>), so
    /// the two places to decide answer equivalence can be compared on the same stream (docs/semantic.md).
    /// </summary>
    internal bool AnswersComparedAtLookup { get; set; }

    private static void RelinkAtLookup(in SemanticQuery query, List<Neighbour> neighbours)
    {
        float minSimilarity = AnswerLinks.AnswerSimilarity(query.Rule);
        float margin = AnswerLinks.AnswerMargin(query.Rule);
        int n = neighbours.Count;
        int[] order = [.. Enumerable.Range(0, n).OrderBy(i => neighbours[i].Answer.CreatedAt).ThenBy(i => i)];
        var joined = new ulong[n];
        for (int k = 0; k < n; k++)
        {
            Neighbour me = neighbours[order[k]];
            joined[order[k]] = me.Id;
            if (me.AnswerVector is null || me.Link.AnswerDimensions == 0 || minSimilarity <= 0)
            {
                continue;
            }

            var similarities = new float[k];
            var answers = new int[k];
            for (int j = 0; j < k; j++)
            {
                Neighbour older = neighbours[order[j]];
                similarities[j] = older.Link.AnswerDimensions == me.Link.AnswerDimensions && older.Link.Values == me.Link.Values
                    ? TensorPrimitives.CosineSimilarity(me.AnswerVector.AsSpan(0, me.Link.AnswerDimensions), older.AnswerVector!.AsSpan(0, older.Link.AnswerDimensions))
                    : float.NegativeInfinity;
                answers[j] = j;
                for (int m = 0; m < j; m++)
                {
                    if (joined[order[m]] == joined[order[j]])
                    {
                        answers[j] = m;
                        break;
                    }
                }
            }

            int best = AnswerLinks.Choose(similarities, answers, minSimilarity, margin);
            if (best >= 0)
            {
                joined[order[k]] = joined[order[best]];
            }
        }

        for (int i = 0; i < n; i++)
        {
            neighbours[i] = neighbours[i] with { Link = neighbours[i].Link with { AnswerId = joined[i], Similarity = 1f } };
        }
    }

    /// <summary>The hash of the answer's normalized text: stored in an entry of format 2, computed for one of format 1.</summary>
    private static ulong TextHashOf(CachedAnswer answer, in EntryLink link) => link.TextHash != 0 ? link.TextHash : EntryCodec.AnswerTextHash(answer.Text);

    /// <summary>
    /// The id of the answer an entry holds, for a rule that counts answers at <paramref name="answerSimilarity"/> or more as
    /// one: the answer it was linked to on insert when every link of the chain was at least that similar, otherwise its own.
    /// </summary>
    internal static ulong AnswerIdOf(ulong id, in EntryLink link, float answerSimilarity) =>
        answerSimilarity > 0 && link.AnswerId != 0 && link.Similarity >= answerSimilarity ? link.AnswerId : id;

    /// <summary>
    /// The first neighbour (most similar first) at or above the cut that the query's rule accepts, with its answer
    /// neighbourhood; without a rule, the most similar one at or above the threshold. Two neighbours share an answer when
    /// their answers are the same normalized text or were linked to the same answer on insert (answer embeddings, see
    /// <see cref="LinkAsync"/>).
    /// </summary>
    private static (CachedAnswer Answer, float Similarity, ulong Id)? Choose(in SemanticQuery query, List<Neighbour> neighbours, float cut, bool full)
    {
        if (query.Rule is null)
        {
            return neighbours.Count > 0 && neighbours[0].Similarity >= query.Threshold ? (neighbours[0].Answer, neighbours[0].Similarity, neighbours[0].Id) : null;
        }

        int n = Math.Min(neighbours.Count, AnswerNeighbourhoods.MaxNeighbours);
        float answerSimilarity = AnswerLinks.AnswerSimilarity(query.Rule);
        Span<float> similarities = stackalloc float[n];
        Span<int> answers = stackalloc int[n];
        Span<ulong> answerIds = stackalloc ulong[n];
        Span<ulong> texts = stackalloc ulong[n];
        for (int i = 0; i < n; i++)
        {
            similarities[i] = neighbours[i].Similarity;
            texts[i] = TextHashOf(neighbours[i].Answer, neighbours[i].Link);
            answerIds[i] = AnswerIdOf(neighbours[i].Id, neighbours[i].Link, answerSimilarity);
            answers[i] = i;
            for (int j = 0; j < i; j++)
            {
                if (answerIds[j] == answerIds[i] || texts[j] == texts[i])
                {
                    answers[i] = answers[j];
                    break;
                }
            }
        }

        Span<float> candidateSimilarities = stackalloc float[n];
        for (int i = 0; i < n && similarities[i] >= cut; i++)
        {
            (float similarity, CachedAnswer answer, ulong id, _) = neighbours[i];
            float[]? vector = neighbours[i].Vector;
            for (int j = 0; j < n; j++)
            {
                candidateSimilarities[j] = j != i && answers[j] == answers[i] && vector is not null && neighbours[j].Vector is { } other
                    ? TensorPrimitives.CosineSimilarity(vector, other)
                    : similarities[j]; // no vector: no evidence either way
            }

            var candidate = new SemanticMatchCandidate(query.Question, query.Embedding, answer.Question, vector ?? ReadOnlyMemory<float>.Empty, similarity, query.Threshold, default)
            {
                Neighbourhood = AnswerNeighbourhoods.Of(similarities, answers, i, full, candidateSimilarities),
            };
            if (query.Rule.Accept(candidate))
            {
                return (answer, similarity, id);
            }
        }

        return null;
    }

    /// <summary>
    /// On insert, the answer a new answer with an embedding is the same as (as the in-process tier decides it): among the
    /// new question's nearest cached questions, the one whose answer is the same normalized text, else the one whose answer
    /// embedding is the most similar (at least the rule's answer similarity, same values, the answer margin clear of every
    /// other answer; <see cref="AnswerLinks.Choose"/>). One MGET of those entries; the lookup then only compares ids.
    /// </summary>
    private async Task<EntryLink> LinkAsync(string scopeHex, ScopeMirror mirror, ReadOnlyMemory<float> embedding, CachedAnswer answer, ulong id)
    {
        ISemanticMatchRule rule = Volatile.Read(ref _linkRule) ?? DefaultLinkRule;
        float minSimilarity = AnswerLinks.AnswerSimilarity(rule);
        ulong values = AnswerLinks.ValuesFingerprint(answer.Text);
        ulong text = EntryCodec.AnswerTextHash(answer.Text);
        var fresh = new EntryLink(values, id, 1f) { TextHash = text };
        var keys = new ulong[LinkNeighbours];
        var distances = new float[LinkNeighbours];
        int found = mirror.Search(embedding.Span, keys, distances);
        if (found == 0)
        {
            return fresh;
        }

        var entryKeys = new RedisKey[found];
        for (int i = 0; i < found; i++)
        {
            entryKeys[i] = EntryKey(scopeHex, keys[i]);
        }

        RedisValue[] stored = await RunAsync(db => db.StringGetAsync(entryKeys)).ConfigureAwait(false);
        ReadOnlySpan<float> mine = answer.AnswerEmbedding.Span;
        var vector = new float[_o.Dimensions];
        var other = new float[mine.Length];
        var similarities = new float[found];
        var answers = new int[found];
        var answerIds = new ulong[found];
        var links = new EntryLink[found];
        for (int i = 0; i < found; i++)
        {
            similarities[i] = float.NegativeInfinity;
            answers[i] = i;
            // Only the head of an entry is read (the answer body of a format-1 entry, for its text): the key is the scope's
            // and Redis expires it, and a link only shapes the neighbourhood, it serves nothing by itself.
            byte[]? bytes = stored[i].IsNull ? null : (byte[])stored[i]!;
            int body = bytes is null || bytes.Length > _o.MaxValueBytes ? -1 : EntryCodec.TryDecodeHead(bytes, _o.Dimensions, vector, out links[i], other);
            if (body < 0)
            {
                continue;
            }

            EntryLink link = links[i];
            if (link.TextHash == 0)
            {
                if (!EntryCodec.TryDecodeEntry(bytes, _o.Dimensions, vector, out CachedAnswer? old))
                {
                    continue;
                }

                link = links[i] = link with { TextHash = EntryCodec.AnswerTextHash(old!.Text) };
            }

            answerIds[i] = AnswerIdOf(keys[i], link, minSimilarity);
            if (link.TextHash == text)
            {
                // The same text is the same answer (the in-process tier's answer-text map).
                return fresh with { AnswerId = answerIds[i], Similarity = answerIds[i] == keys[i] ? 1f : link.Similarity };
            }

            for (int j = 0; j < i; j++)
            {
                if (answerIds[j] == answerIds[i])
                {
                    answers[i] = answers[j];
                    break;
                }
            }

            if (link.AnswerDimensions == mine.Length && link.Values == values)
            {
                similarities[i] = TensorPrimitives.CosineSimilarity(mine, other);
            }
        }

        int best = AnswerLinks.Choose(similarities, answers, minSimilarity, AnswerLinks.AnswerMargin(rule));
        if (best < 0)
        {
            return fresh;
        }

        float chain = answerIds[best] == keys[best] ? similarities[best] : Math.Min(similarities[best], links[best].Similarity);
        return fresh with { AnswerId = answerIds[best], Similarity = chain };
    }

    public async ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (!string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException("The answer was made under a different scope.", nameof(answer));
        }

        if (embedding.Length != _o.Dimensions)
        {
            throw new ArgumentException($"Expected an embedding of {_o.Dimensions} dimensions (RedisSemanticCacheOptions.Dimensions); got {embedding.Length}.", nameof(embedding));
        }

        TimeSpan ttl = answer.ExpiresAt - _o.TimeProvider.GetUtcNow();
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        string scopeHex = EntryCodec.Hex(scope.Hash);
        ulong id = NewId();
        ScopeMirror mirror = GetMirror(scopeHex);
        EntryLink link = answer.AnswerEmbedding.IsEmpty ? default : await LinkAsync(scopeHex, mirror, embedding, answer, id).ConfigureAwait(false);
        byte[] entry = EntryCodec.EncodeEntry(embedding.Span, _o.EmbeddingEncoding, answer, link);
        if (entry.Length > _o.MaxValueBytes)
        {
            Log.TooLarge(_log, entry.Length);
            return;
        }

        string idHex = EntryCodec.Hex(id);
        byte[] vector = entry.AsSpan(4, EntryCodec.VectorSize(_o.EmbeddingEncoding, _o.Dimensions)).ToArray();
        double cost = answer.GenerationCost.TotalSeconds;
        var docs = answer.Provenance.Select(p => p.Document).Distinct().ToArray();
        long count = await RunAsync(async db =>
        {
            try
            {
                return await WriteAsync(db).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (RedisFaults.IsWrongType(ex))
            {
                // The scope's vector or question hash was overwritten with another type: repaired, and written again
                // (same id; the batch is idempotent and the mirrors ignore a repeated insert event).
                await RepairScopeHashesAsync(db, scopeHex).ConfigureAwait(false);
                return await WriteAsync(db).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        async Task<long> WriteAsync(IDatabase db)
        {
            IBatch b = db.CreateBatch();
            var tasks = new List<Task>(docs.Length + 5)
            {
                b.StringSetAsync(EntryKey(scopeHex, id), entry, ttl),
                b.HashSetAsync(VectorsKey(scopeHex), idHex, vector),
                b.HashSetAsync(QuestionsKey(scopeHex), EntryCodec.Hex(EntryCodec.Hash(answer.Question)), idHex),
            };
            foreach (DocumentKey d in docs)
            {
                tasks.Add(b.ScriptEvaluateAsync(VersionRegistry.ProvenanceAddScript, [DocumentKeyOf(d)], [$"{scopeHex}:{idHex}"]));
            }

            Task<long> length = b.HashLengthAsync(VectorsKey(scopeHex));
            tasks.Add(length);
            tasks.Add(b.StreamAddAsync(_stream,
                [new("o", _origin), new("t", "a"), new("s", scopeHex), new("i", idHex), new("v", vector), new("c", cost.ToString("R", CultureInfo.InvariantCulture)), new("z", entry.Length)],
                maxLength: _o.StreamMaxLength, useApproximateMaxLength: true));
            b.Execute();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return await length.ConfigureAwait(false);
        }

        mirror.Add(id, embedding.Span, new EvictionEntryInfo(entry.Length, cost));
        if (count > _o.SemanticCapacityPerScope)
        {
            List<ulong> victims = mirror.ChooseVictims((int)Math.Min(count - _o.SemanticCapacityPerScope, 1024));
            if (victims.Count > 0)
            {
                await RemoveEntriesAsync(victims.Select(v => (scopeHex, v)).ToList()).ConfigureAwait(false);
                CacheTierMetrics.RecordEvictions(Name, victims.Count);
            }
        }
    }

    public async ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        string scopeHex = EntryCodec.Hex(scope.Hash);
        RedisValue field = EntryCodec.Hex(EntryCodec.Hash(question));
        RedisValue idValue;
        try
        {
            idValue = await RunAsync(db => db.HashGetAsync(QuestionsKey(scopeHex), field)).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (RedisFaults.IsWrongType(ex))
        {
            await RepairScopeHashesAsync(_db, scopeHex).ConfigureAwait(false);
            return 0; // the question's id was lost with the poisoned hash
        }

        if (idValue.IsNull || !ulong.TryParse((string?)idValue, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id))
        {
            return 0;
        }

        _ = _db.HashDeleteAsync(QuestionsKey(scopeHex), field, CommandFlags.FireAndForget);
        return await RemoveEntriesAsync([(scopeHex, id)]).ConfigureAwait(false);
    }

    public async ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0)
        {
            return 0;
        }

        // Each provenance set is read and deleted in one step; one of the wrong type is deleted (and counted) instead of
        // failing the whole invalidation. Other instances learn of the change through the version events.
        DocumentKey[] docs = documents.Distinct().ToArray();
        RedisResult[] taken = await RunAsync(async db =>
        {
            IBatch b = db.CreateBatch();
            Task<RedisResult>[] reads = docs.Select(d => b.ScriptEvaluateAsync(VersionRegistry.ProvenanceTakeScript, [DocumentKeyOf(d)])).ToArray();
            b.Execute();
            return await Task.WhenAll(reads).ConfigureAwait(false);
        }).ConfigureAwait(false);

        var victims = new HashSet<(string, ulong)>();
        foreach (RedisResult set in taken)
        {
            if (set.Resp2Type != ResultType.Array)
            {
                Interlocked.Increment(ref _keysRepaired);
                Log.KeyRepaired(_log, "provenance set");
                continue;
            }

            foreach (RedisResult m in (RedisResult[])set!)
            {
                string s = (string)m!;
                int colon = s.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && ulong.TryParse(s.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id))
                {
                    victims.Add((s[..colon], id));
                }
            }
        }

        return victims.Count == 0 ? 0 : await RemoveEntriesAsync(victims.ToList()).ConfigureAwait(false);
    }

    public ValueTask PublishChangingAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        DateTimeOffset until = _o.TimeProvider.GetUtcNow() + _o.ChangeMarkLifetime;
        return PublishAsync(documents.Select(d => new DocumentVersion(d, DocumentVersion.Changing) { ChangingUntil = until }).ToArray());
    }

    public ValueTask PublishVersionsAsync(IReadOnlyList<DocumentVersion> versions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(versions);
        return PublishAsync(versions);
    }

    /// <summary>Sets the versions in the registry and appends their events, atomically; durable in Redis when it returns.</summary>
    private async ValueTask PublishAsync(IReadOnlyList<DocumentVersion> versions)
    {
        if (versions.Count == 0)
        {
            return;
        }

        var args = new RedisValue[3 + (2 * versions.Count)];
        args[0] = VersionRegistry.NewEpoch();
        args[1] = _origin;
        args[2] = _o.StreamMaxLength;
        for (int i = 0; i < versions.Count; i++)
        {
            args[3 + (2 * i)] = EntryCodec.DocumentHex(versions[i].Document);
            args[4 + (2 * i)] = VersionRegistry.Encode(versions[i]);
        }

        // Not behind the breaker, and with its own budget: an update would rather wait a little than fail.
        Interlocked.Increment(ref _roundTrips);
        RedisResult repaired = await _db.ScriptEvaluateAsync(VersionRegistry.PublishScript, _feedKeys, args).WaitAsync(_o.PublishTimeout, _o.TimeProvider).ConfigureAwait(false);
        if ((long)repaired > 0)
        {
            Interlocked.Add(ref _keysRepaired, (long)repaired);
            Log.KeyRepaired(_log, "change stream or version registry");
        }
    }

    /// <summary>Deletes entries in Redis and every mirror (here directly, elsewhere through the stream).</summary>
    internal async Task<int> RemoveEntriesAsync(IReadOnlyList<(string ScopeHex, ulong Id)> entries)
    {
        foreach ((string s, ulong id) in entries)
        {
            if (_mirrors.TryGetValue(s, out ScopeMirror? m))
            {
                m.Remove(id);
            }
        }

        return await RunAsync(async db =>
        {
            IBatch b = db.CreateBatch();
            var deletes = new Task<bool>[entries.Count];
            var others = new List<Task>();
            for (int i = 0; i < entries.Count; i++)
            {
                deletes[i] = b.KeyDeleteAsync(EntryKey(entries[i].ScopeHex, entries[i].Id));
            }

            foreach (IGrouping<string, (string ScopeHex, ulong Id)> g in entries.GroupBy(e => e.ScopeHex, StringComparer.Ordinal))
            {
                RedisKey vectors = VectorsKey(g.Key);
                others.Add(RedisFaults.DeletingIfWrongTypeAsync(b.HashDeleteAsync(vectors, g.Select(e => (RedisValue)EntryCodec.Hex(e.Id)).ToArray()), db, vectors, "hash", _log));
            }

            foreach ((string ScopeHex, ulong Id)[] chunk in entries.Chunk(256))
            {
                string list = string.Join(' ', chunk.Select(e => $"{e.ScopeHex}:{EntryCodec.Hex(e.Id)}"));
                others.Add(b.StreamAddAsync(_stream, [new("o", _origin), new("t", "d"), new("k", list)], maxLength: _o.StreamMaxLength, useApproximateMaxLength: true));
            }

            b.Execute();
            await Task.WhenAll(others).ConfigureAwait(false);
            bool[] results = await Task.WhenAll(deletes).ConfigureAwait(false);
            return results.Count(r => r);
        }).ConfigureAwait(false);
    }

    private static ulong NewId()
    {
        ulong id;
        do
        {
            id = (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        }
        while (id == 0 || id == ulong.MaxValue);
        return id;
    }

    private ScopeMirror GetMirror(string scopeHex)
    {
        ScopeMirror mirror = _mirrors.GetOrAdd(scopeHex, static (_, self) => new ScopeMirror(self._o.Dimensions, self._o.SemanticCapacityPerScope, self._o.EvictionPolicy, self.MirrorQuantization, self.MirrorExpansionAdd, self.MirrorExpansionSearch), this);
        if (mirror.TryBeginLoad())
        {
            _ = LoadMirrorAsync(scopeHex, mirror);
        }

        return mirror;
    }

    /// <summary>Loads a scope's entries from its vector hash (HSCAN, no entry bodies); stream events during the load are applied too.</summary>
    private async Task LoadMirrorAsync(string scopeHex, ScopeMirror mirror)
    {
        bool ok = false;
        try
        {
            await _streamReady.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
            var vector = new float[_o.Dimensions];
            int loaded = 0;
            await foreach (HashEntry e in _db.HashScanAsync(VectorsKey(scopeHex), pageSize: 4096).WithCancellation(_stop.Token).ConfigureAwait(false))
            {
                if (ulong.TryParse((string?)e.Name, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id)
                    && EntryCodec.TryDecodeVector((byte[])e.Value!, _o.Dimensions, vector) > 0
                    && mirror.Add(id, vector, new EvictionEntryInfo(1024, 0)))
                {
                    loaded++;
                }
            }

            Log.MirrorLoaded(_log, loaded, scopeHex);
            ok = true;
        }
        catch (RedisServerException ex) when (RedisFaults.IsWrongType(ex))
        {
            // The vector hash was overwritten with another type: without a repair the scope would never load. It is
            // deleted and the load completes; the hash and this mirror are rebuilt from the entries in the background.
            ok = await RepairScopeHashesAsync(_db, scopeHex).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            if (ex is not OperationCanceledException)
            {
                Log.CallFailed(_log, ex);
            }
        }
        finally
        {
            mirror.EndLoad(ok);
            if (!ok)
            {
                // Loaded again on the next lookup.
                _mirrors.TryRemove(new KeyValuePair<string, ScopeMirror>(scopeHex, mirror));
            }
        }
    }

    /// <summary>Deletes a scope's vector or question hash that holds another type; false when Redis did not answer.</summary>
    private async Task<bool> RepairScopeHashesAsync(IDatabaseAsync db, string scopeHex)
    {
        try
        {
            foreach (RedisKey key in (RedisKey[])[VectorsKey(scopeHex), QuestionsKey(scopeHex)])
            {
                if (await RedisFaults.DeleteIfOtherTypeAsync(db, key, "hash").WaitAsync(_o.TierTimeout, _o.TimeProvider).ConfigureAwait(false))
                {
                    Log.PoisonedKey(_log, key.ToString(), "hash");
                    if (key == VectorsKey(scopeHex))
                    {
                        _ = RebuildScopeIndexAsync(scopeHex);
                    }
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.CallFailed(_log, ex);
            return false;
        }
    }

    /// <summary>In the background: the repaired vector hash gets back the scope's entries (and this instance's mirror with it).</summary>
    private async Task RebuildScopeIndexAsync(string scopeHex)
    {
        try
        {
            _mirrors.TryGetValue(scopeHex, out ScopeMirror? mirror);
            // Announced under an origin of its own, so this instance applies the inserts too (a mirror of the scope it
            // created after the rebuild began, and loaded from the emptied hash, gets them); a mirror ignores a repeated insert.
            string origin = _origin + ":rebuild";
            int restored = await ScopeIndexRebuild.RunAsync(
                _mux, _db, ScopeTag(scopeHex), VectorsKey(scopeHex), _o.Dimensions, mirror,
                (batch, id, vector, cost, size) => batch.StreamAddAsync(_stream,
                    [new("o", origin), new("t", "a"), new("s", scopeHex), new("i", EntryCodec.Hex(id)), new("v", vector), new("c", cost.ToString("R", CultureInfo.InvariantCulture)), new("z", size)],
                    maxLength: _o.StreamMaxLength, useApproximateMaxLength: true),
                _stop.Token).ConfigureAwait(false);
            Log.ScopeIndexRebuilt(_log, restored, scopeHex);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            if (ex is not OperationCanceledException)
            {
                Log.CallFailed(_log, ex);
            }
        }
    }

    /// <summary>
    /// Follows the change stream on its own thread: a snapshot of the version registry first (and again whenever Redis
    /// lost its data, a key was repaired or entries were trimmed before this instance read them: a reset), then reads from
    /// the last applied entry, replaying whatever was missed while disconnected. A read that reached the end of the
    /// stream confirms every version committed before it began (<see cref="IsCaughtUp"/>).
    /// </summary>
    private void FollowStream()
    {
        try
        {
            FollowStreamUntilStopped();
        }
        finally
        {
            _followerExited.TrySetResult();
        }
    }

    private void FollowStreamUntilStopped()
    {
        CancellationToken ct = _stop.Token;
        TimeSpan budget = _o.TierTimeout > TimeSpan.FromSeconds(1) ? _o.TierTimeout : TimeSpan.FromSeconds(1);
        bool failing = false;
        while (!ct.IsCancellationRequested)
        {
            long readStart = _o.TimeProvider.GetTimestamp();
            bool reachedEnd;
            try
            {
                reachedEnd = _needSnapshot ? TakeSnapshot(budget) : ReadOnce(budget);
                if (failing)
                {
                    Log.StreamRecovered(_log);
                    failing = false;
                }
            }
            catch (Exception ex)
            {
                // Whatever failed (Redis down or cut off, a reply of an unexpected shape), the confirmation simply ages out.
                if (ct.IsCancellationRequested)
                {
                    break;
                }

                if (!failing)
                {
                    Log.StreamFailed(_log, ex);
                    failing = true;
                }

                Pause(ct, TimeSpan.FromMilliseconds(20));
                continue;
            }

            if (reachedEnd)
            {
                Volatile.Write(ref _confirmedAt, readStart);
                Pause(ct, _o.StreamPollInterval);
            }
        }
    }

    /// <summary>Sleeps until the next read; returns at once when the cache is being disposed.</summary>
    private static void Pause(CancellationToken ct, TimeSpan delay)
    {
        try
        {
            ct.WaitHandle.WaitOne(delay);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while a slow read was still in flight: the loop sees the cancellation and ends.
        }
    }

    private RedisResult[] Evaluate(string script, RedisValue[] args, TimeSpan budget)
    {
        Task<RedisResult> call = _db.ScriptEvaluateAsync(script, _feedKeys, args);
        if (!call.Wait(budget))
        {
            _ = call.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            throw new TimeoutException("The change stream read exceeded its budget.");
        }

        return (RedisResult[])call.Result!;
    }

    /// <summary>Loads every known version and the stream position at once; returns true (the snapshot is complete).</summary>
    private bool TakeSnapshot(TimeSpan budget)
    {
        _needSnapshot = false; // a subscriber added during the snapshot asks for another one
        RedisResult[] r = Evaluate(VersionRegistry.SnapshotScript, [VersionRegistry.NewEpoch()], budget);
        string epoch = (string)r[0]!;
        string last = (string)r[1]!;
        RedisResult[] registry = (RedisResult[])r[2]!;
        CountRepairs((long)r[3]);
        DateTimeOffset now = _o.TimeProvider.GetUtcNow();
        var versions = new List<DocumentVersion>(registry.Length / 2);
        for (int i = 1; i < registry.Length; i += 2)
        {
            if (VersionRegistry.TryDecode((string?)registry[i], out DocumentVersion v)
                && (v.Version != DocumentVersion.Changing || v.ChangingUntil > now))
            {
                versions.Add(v); // an expired change mark is left out: the version is learned again from retrieval
            }
        }

        bool reset = _resetNeeded || (_epoch is not null && !string.Equals(epoch, _epoch, StringComparison.Ordinal));
        _resetNeeded = false;
        if (reset)
        {
            // Starting over: the mirrors may have missed inserts and deletes too; they are rebuilt from Redis.
            Interlocked.Increment(ref _feedResets);
            Log.FeedReset(_log);
            foreach (KeyValuePair<string, ScopeMirror> kv in _mirrors)
            {
                if (_mirrors.TryRemove(kv))
                {
                    kv.Value.Dispose();
                }
            }
        }

        _epoch = epoch;
        _last = last;
        Raise(new DocumentsInvalidatedEventArgs(versions, reset));
        _streamReady.TrySetResult();
        return !_needSnapshot;
    }

    /// <summary>Reads and applies the next entries; returns true when it reached the end of the stream.</summary>
    private bool ReadOnce(TimeSpan budget)
    {
        RedisResult[] r = Evaluate(VersionRegistry.ReadScript, [VersionRegistry.NewEpoch(), _last, VersionRegistry.ReadBatch], budget);
        CountRepairs((long)r[3]);
        if (!string.Equals((string?)r[0], _epoch, StringComparison.Ordinal) || (long)r[1] != 0)
        {
            // Redis lost its data (restarted empty), a key was repaired, or entries were trimmed before this instance read
            // them: the missed versions cannot be replayed, so the follower starts over from a snapshot.
            _resetNeeded = true;
            _needSnapshot = true;
            return false;
        }

        RedisResult[] entries = (RedisResult[])r[2]!;
        List<DocumentVersion>? versions = null;
        int ownVersions = 0;
        foreach (RedisResult entry in entries)
        {
            var pair = (RedisResult[])entry!;
            _last = (string)pair[0]!;
            Apply((RedisResult[])pair[1]!, ref versions, ref ownVersions);
        }

        if (versions is not null)
        {
            Raise(new DocumentsInvalidatedEventArgs(versions));
            Interlocked.Add(ref _remoteInvalidations, versions.Count - ownVersions);
        }

        return entries.Length < VersionRegistry.ReadBatch;
    }

    private void CountRepairs(long repaired)
    {
        if (repaired > 0)
        {
            Interlocked.Add(ref _keysRepaired, repaired);
            Log.KeyRepaired(_log, "change stream or version registry");
        }
    }

    private void Raise(DocumentsInvalidatedEventArgs e)
    {
        EventHandler<DocumentsInvalidatedEventArgs>? handlers = Volatile.Read(ref _documentsInvalidated);
        handlers?.Invoke(this, e);
    }

    private void Apply(RedisResult[] fields, ref List<DocumentVersion>? versions, ref int ownVersions)
    {
        string? origin = null, type = null;
        var values = new Dictionary<string, RedisResult>(fields.Length / 2, StringComparer.Ordinal);
        for (int i = 0; i + 1 < fields.Length; i += 2)
        {
            values[(string)fields[i]!] = fields[i + 1];
        }

        if (values.TryGetValue("o", out RedisResult? o))
        {
            origin = (string?)o;
        }

        if (values.TryGetValue("t", out RedisResult? t))
        {
            type = (string?)t;
        }

        // This instance's own entries are already in its mirror, but its own version events are applied too: a
        // snapshot of the registry taken while this instance was between its change mark and its commit holds the mark,
        // and only the commit event that follows in the stream replaces it (otherwise the mark would stand until it
        // expires, and this instance would cache nothing built on the documents it just wrote).
        bool own = string.Equals(origin, _origin, StringComparison.Ordinal);
        if (own && type != "v")
        {
            return;
        }

        if (!own)
        {
            Interlocked.Increment(ref _streamEventsApplied);
        }

        string? Text(string name) => values.TryGetValue(name, out RedisResult? v) ? (string?)v : null;
        if (type == "a")
        {
            string? scopeHex = Text("s");
            if (scopeHex is not null && _mirrors.TryGetValue(scopeHex, out ScopeMirror? m)
                && ulong.TryParse(Text("i"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id)
                && values.TryGetValue("v", out RedisResult? raw))
            {
                var vector = new float[_o.Dimensions];
                if (EntryCodec.TryDecodeVector((byte[])raw!, _o.Dimensions, vector) > 0)
                {
                    double.TryParse(Text("c"), NumberStyles.Float, CultureInfo.InvariantCulture, out double cost);
                    long.TryParse(Text("z"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long size);
                    m.Add(id, vector, new EvictionEntryInfo(size, cost));
                }
            }
        }
        else if (type == "d")
        {
            foreach (string item in (Text("k") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int colon = item.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && _mirrors.TryGetValue(item[..colon], out ScopeMirror? m)
                    && ulong.TryParse(item.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id))
                {
                    m.Remove(id);
                }
            }
        }
        else if (type == "v")
        {
            if (VersionRegistry.TryDecode(Text("r"), out DocumentVersion v))
            {
                (versions ??= []).Add(v);
                if (own)
                {
                    ownVersions++;
                }
            }
        }
    }

    /// <summary>
    /// Stops the change-stream follower without waiting for it: a read in flight ends within its budget, and the
    /// connection and mirrors are released once it has (use <see cref="DisposeAsync"/> to wait for that).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        if (_followerExited.Task.IsCompleted)
        {
            ReleaseResources();
        }
        else
        {
            _ = _followerExited.Task.ContinueWith(static (_, state) => ((RedisSemanticCacheImpl)state!).ReleaseResources(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Stops the follower, waits (asynchronously, within its read budget) until it has stopped, and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop.Cancel();
        }

        try
        {
            await _followerExited.Task.WaitAsync(TimeSpan.FromSeconds(2) + _o.TierTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A read stuck past its budget: release anyway; the follower sees the disposed connection and ends.
        }

        ReleaseResources();
    }

    private void ReleaseResources()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        foreach (ScopeMirror m in _mirrors.Values)
        {
            m.Dispose();
        }

        _mirrors.Clear();
        _distributed.Dispose();
        if (_ownsMux)
        {
            _mux.Dispose();
        }

        _stop.Dispose();
    }
}
