using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Cloud.Unum.USearch;
using RagKit.Diagnostics;
using RagKit.Internal;
using RagKit.Providers;

namespace RagKit.Caching;

/// <summary>
/// The embedded semantic tier: one approximate nearest-neighbour index (USearch HNSW, int8) per scope over
/// question embeddings. Candidates from the index are re-scored with exact f32 cosine, so the threshold
/// decision is not blurred by quantization.
/// </summary>
internal sealed class InProcessSemanticCache : ISemanticAnswerCache, IDisposable
{
    /// <summary>Nearest questions fetched per lookup: the candidates and their answer neighbourhood.</summary>
    private const int Candidates = 16;
    private readonly ConcurrentDictionary<string, ScopeIndex> _scopes = new(StringComparer.Ordinal);
    private readonly Dictionary<DocumentKey, HashSet<(ScopeIndex Scope, ulong Id)>> _byDocument = [];
    private readonly Lock _provenanceLock = new();
    private readonly TimeProvider _time;
    private readonly int _capacityPerScope;
    private readonly long _maxBytesPerScope;
    private readonly EvictionPolicyFactory _policy;
    private readonly ISemanticMatchRule _rule;
    private readonly bool _clusters;
    private readonly CacheMemoryBudget? _budget;

    /// <summary>Answer-embedding similarity at which two answers share a cluster (0 = normalized text only).</summary>
    private readonly float _answerSimilarity;
    private readonly float _answerMargin;

    /// <summary>Expire-after-access in <see cref="DateTimeOffset.UtcTicks"/>; 0 = off.</summary>
    private readonly long _idleTicks;
    private long _nextId;

    /// <summary>Inserts since the last sweep for expired entries, and the entries that sweep left (amortizes sweeping).</summary>
    private long _insertsSinceSweep;
    private long _entriesAtSweep;

    /// <summary>Creates the tier; <paramref name="slidingExpiration"/> (expire-after-access): an entry not served for this
    /// long expires before its TTL, null = TTL only; <paramref name="maxBytesPerScope"/>: byte budget of each scope
    /// (answer plus stored vector), unbounded when null; <paramref name="budget"/>: a byte budget shared with other caches
    /// and scopes (each scope is a member while it holds entries).</summary>
    public InProcessSemanticCache(int capacityPerScope, EvictionPolicyFactory policy, TimeProvider time, ISemanticMatchRule? rule = null, bool clusters = false, TimeSpan? slidingExpiration = null, long? maxBytesPerScope = null, CacheMemoryBudget? budget = null)
    {
        _budget = budget;
        _maxBytesPerScope = maxBytesPerScope ?? long.MaxValue;
        _idleTicks = slidingExpiration is { } idle ? Math.Max(1, idle.Ticks) : 0;
        _capacityPerScope = capacityPerScope;
        _policy = policy;
        _time = time;
        _rule = rule ?? SemanticMatchRules.Static;
        _clusters = clusters;
        _answerSimilarity = NeighbourhoodMatchRule.AnswerSimilarityOf(_rule);
        _answerMargin = NeighbourhoodMatchRule.AnswerMarginOf(_rule);
    }

    /// <summary>A hit this similar to the matched question adds nothing to the cluster and is not stored.</summary>
    internal const float ClusterMemberMaxSimilarity = 0.98f;

    /// <summary>Added to a reported similarity to make the entry's floor strictly above it.</summary>
    internal const float FeedbackMargin = 0.005f;

    public const string TierName = TierNames.Semantic;

    public string Name => TierName;

    public int Count => _scopes.Values.Sum(s => s.Count);

    /// <summary>Bytes held over all scopes (answers plus stored vectors).</summary>
    public long Bytes => _scopes.Values.Sum(s => s.Bytes);

    public ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken)
    {
        if (!_scopes.TryGetValue(query.Scope.Id, out ScopeIndex? scope))
        {
            return ValueTask.FromResult<SemanticCacheHit?>(null);
        }

        return ValueTask.FromResult(scope.Find(query, _time.GetUtcNow(), this, out _));
    }

    /// <summary>
    /// Like <see cref="FindAsync"/>, and when a verified rule chose to explore the best candidate, says which:
    /// the caller generates the answer, asks its verifier, and reports the outcome to <see cref="RecordVerification"/>.
    /// </summary>
    internal SemanticCacheHit? Find(in SemanticQuery query, out SemanticExploration exploration)
    {
        exploration = default;
        if (!_scopes.TryGetValue(query.Scope.Id, out ScopeIndex? scope))
        {
            return null;
        }

        return scope.Find(query, _time.GetUtcNow(), this, out exploration);
    }

    /// <summary>Records the verifier's outcome of an explored candidate (entry and global prior of a verified rule).</summary>
    internal void RecordVerification(in SemanticExploration exploration, bool sameAnswer)
    {
        if (exploration.Entry is not Entry e)
        {
            return;
        }

        e.Observations?.Record(exploration.Similarity, sameAnswer);
        (_rule as IVerifyingMatchRule)?.Record(exploration.Similarity, exploration.Neighbourhood, sameAnswer);
    }

    /// <summary>
    /// Stores a generated answer; when <paramref name="sameAnswerAs"/> is an explored entry whose answer the verifier
    /// found equivalent, the new question joins that entry's answer cluster (neighbourhood signal).
    /// </summary>
    internal void Store(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, in SemanticExploration sameAnswerAs)
    {
        ScopeIndex index = _scopes.GetOrAdd(scope.Id, static (id, s) => new ScopeIndex(id, s), this);
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        Cluster cluster = sameAnswerAs.Entry is Entry e ? e.Cluster : new Cluster();
        Insert(index, new Entry(id, embedding.ToArray(), answer, answer.Question, cluster, NewObservations()));
    }

    private EntryObservations? NewObservations() => _rule is IVerifyingMatchRule ? new EntryObservations() : null;

    public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
    {
        if (!string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException("The answer was made under a different scope.", nameof(answer));
        }

        ScopeIndex index = _scopes.GetOrAdd(scope.Id, static (id, s) => new ScopeIndex(id, s), this);
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        Insert(index, new Entry(id, embedding.ToArray(), answer, answer.Question, new Cluster(), NewObservations()));
        return ValueTask.CompletedTask;
    }

    private void Insert(ScopeIndex index, Entry entry)
    {
        entry.LastAccess = _time.GetUtcNow().UtcTicks;
        CachedAnswer answer = entry.Answer;
        ulong id = entry.Id;
        lock (_provenanceLock)
        {
            foreach (ProvenanceEntry p in answer.Provenance)
            {
                if (!_byDocument.TryGetValue(p.Document, out HashSet<(ScopeIndex, ulong)>? set))
                {
                    _byDocument[p.Document] = set = [];
                }

                set.Add((index, id));
            }
        }

        // A differently worded answer to a nearby question can still be the same answer: found before the lock is taken.
        Cluster? similar = _answerSimilarity > 0 && !answer.AnswerEmbedding.IsEmpty ? index.SimilarAnswer(entry, _answerSimilarity, _answerMargin, _time.GetUtcNow()) : null;
        int evicted = index.Add(entry, this, similar);
        if (evicted < 0)
        {
            // The scope emptied and was released meanwhile: the entry goes to the scope's new index.
            ForgetProvenance(index, entry);
            Insert(_scopes.GetOrAdd(index.Id, static (id, s) => new ScopeIndex(id, s), this), entry);
            return;
        }

        if (evicted > 0)
        {
            RagKitTelemetry.Evictions.Add(evicted, RagKitTelemetry.Tier(TierName));
        }

        _budget?.Enforce();
        if (Interlocked.Increment(ref _insertsSinceSweep) >= Math.Max(MinSweepInterval, Interlocked.Read(ref _entriesAtSweep)))
        {
            // Expired entries are otherwise removed only when a lookup meets them: a scope nobody asks again would keep
            // its structures. Sweeping after as many inserts as there were entries keeps the cost constant per insert.
            Interlocked.Exchange(ref _insertsSinceSweep, 0);
            SweepExpired();
        }
    }

    private const int MinSweepInterval = 64;

    /// <summary>Removes every expired entry (TTL or expire-after-access); a scope left empty is released.</summary>
    /// <returns>How many entries were removed.</returns>
    internal int SweepExpired()
    {
        DateTimeOffset now = _time.GetUtcNow();
        int removed = 0;
        long left = 0;
        foreach (ScopeIndex scope in _scopes.Values)
        {
            foreach (Entry e in scope.Snapshot())
            {
                if ((e.Answer.ExpiresAt <= now || (_idleTicks != 0 && now.UtcTicks - Volatile.Read(ref e.LastAccess) >= _idleTicks)) && scope.Remove(e.Id, this))
                {
                    removed++;
                }
                else
                {
                    left++;
                }
            }
        }

        Interlocked.Exchange(ref _entriesAtSweep, left);
        return removed;
    }

    /// <summary>Number of scopes holding structures (released scopes are not counted).</summary>
    internal int ScopeCount => _scopes.Count;

    /// <summary>
    /// Wrong-answer feedback: every entry that would have served <paramref name="embedding"/> at
    /// <paramref name="threshold"/> gets its similarity floor raised above the question's similarity, so neither
    /// that question nor anything less similar is served from it again; entries with a floor keep it.
    /// </summary>
    /// <returns>How many entries became stricter.</returns>
    public int Penalize(ScopeKey scope, ReadOnlySpan<float> embedding, float threshold)
    {
        if (!_scopes.TryGetValue(scope.Id, out ScopeIndex? index))
        {
            return 0;
        }

        return index.Penalize(embedding, threshold);
    }

    /// <summary>What the tier knows about the entry stored for this normalized question (tests, reports).</summary>
    internal SemanticEntryStats? GetStats(ScopeKey scope, string normalizedQuestion)
    {
        if (!_scopes.TryGetValue(scope.Id, out ScopeIndex? index))
        {
            return null;
        }

        foreach (Entry e in index.Snapshot())
        {
            if (string.Equals(e.Question, normalizedQuestion, StringComparison.Ordinal))
            {
                return e.Stats;
            }
        }

        return null;
    }

    public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        List<(ScopeIndex Scope, ulong Id)> victims = [];
        lock (_provenanceLock)
        {
            foreach (DocumentKey doc in documents)
            {
                if (_byDocument.Remove(doc, out HashSet<(ScopeIndex, ulong)>? set))
                {
                    victims.AddRange(set);
                }
            }
        }

        int removed = 0;
        foreach ((ScopeIndex scope, ulong id) in victims)
        {
            if (scope.Remove(id, this))
            {
                removed++;
            }
        }

        return ValueTask.FromResult(removed);
    }

    public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken) =>
        ValueTask.FromResult(RemoveQuestion(scope, question));

    private int RemoveQuestion(ScopeKey scope, string normalizedQuestion)
    {
        if (!_scopes.TryGetValue(scope.Id, out ScopeIndex? index))
        {
            return 0;
        }

        int removed = 0;
        foreach (Entry e in index.Snapshot())
        {
            if (string.Equals(e.Question, normalizedQuestion, StringComparison.Ordinal) && index.Remove(e.Id, this))
            {
                removed++;
            }
        }

        return removed;
    }

    public void Dispose()
    {
        foreach (ScopeIndex s in _scopes.Values)
        {
            _budget?.Leave(s, s.Bytes);
            s.Dispose();
        }
    }

    private void ForgetProvenance(ScopeIndex scope, Entry entry)
    {
        lock (_provenanceLock)
        {
            foreach (ProvenanceEntry p in entry.Answer.Provenance)
            {
                if (_byDocument.TryGetValue(p.Document, out HashSet<(ScopeIndex, ulong)>? set))
                {
                    set.Remove((scope, entry.Id));
                    if (set.Count == 0)
                    {
                        _byDocument.Remove(p.Document);
                    }
                }
            }
        }
    }

    /// <summary>Questions that share one answer: the question that produced it and later questions it served.</summary>
    private sealed class Cluster
    {
        /// <summary>The shared answer text, normalized (set when the cluster is registered in its scope).</summary>
        public string? AnswerKey;

        public int Hits;
        public int WrongReports;
        public int Size;
    }

    /// <summary>One stored question vector. Cluster members share the answer and the cluster's counters.</summary>
    private sealed class Entry(ulong id, float[] vector, CachedAnswer answer, string question, Cluster cluster, EntryObservations? observations)
    {
        /// <summary>Verification outcomes (verified rule only).</summary>
        public EntryObservations? Observations { get; } = observations;

        public ulong Id { get; } = id;

        public float[] Vector { get; } = vector;

        public CachedAnswer Answer { get; } = answer;

        public string Question { get; } = question;

        /// <summary>The answer cluster; a fresh one is replaced by the scope's cluster for the same answer text on insert.</summary>
        public Cluster Cluster { get; set; } = cluster;

        /// <summary>The normalized answer text (computed before the scope lock is taken).</summary>
        public string AnswerKey { get; } = QuestionNormalizer.Normalize(answer.Text);

        /// <summary>
        /// The values the answer mentions (<see cref="QuestionGuards.ValuesFingerprint"/>), for answer equivalence by
        /// embedding: computed once, when the answer carries an embedding.
        /// </summary>
        public ulong AnswerValues { get; } = answer.AnswerEmbedding.IsEmpty ? 0 : QuestionGuards.ValuesFingerprint(answer.Text);

        /// <summary>Similarity floor raised by wrong-answer feedback.</summary>
        public float MinSimilarity;

        /// <summary>When the entry was last served or stored (UTC ticks; read only with expire-after-access on).</summary>
        public long LastAccess;

        /// <summary>What the entry counts against the byte budget: the answer and the stored f32 vector.</summary>
        public long Size => Answer.EstimatedSize + ((long)Vector.Length * sizeof(float));

        /// <summary>The policy's handle of this entry (built-in policies), set under the scope lock on insert.</summary>
        public EvictionHandle Handle;

        /// <summary>True once <see cref="Handle"/> is set.</summary>
        public bool HasHandle;

        public SemanticEntryStats Stats => new(Volatile.Read(ref Cluster.Hits), Volatile.Read(ref Cluster.WrongReports), Volatile.Read(ref MinSimilarity), Volatile.Read(ref Cluster.Size));
    }

    /// <summary>
    /// One scope's entries, policy and index. A scope whose last entry leaves is released: it leaves the owner's map
    /// and the budget and frees its index, so idle scopes cost nothing; a later store makes a new one.
    /// </summary>
    private sealed class ScopeIndex : IDisposable, ICacheBudgetMember
    {
        private readonly ConcurrentDictionary<ulong, Entry> _entries = new();
        private readonly IEvictionPolicy<ulong> _policy;
        private readonly IHandleEvictionPolicy<ulong>? _handles;
        private readonly Lock _lock = new();
        private readonly Dictionary<string, Cluster> _answers = new(StringComparer.Ordinal);
        private readonly int _capacity;
        private readonly long _maxBytes;
        private readonly InProcessSemanticCache _owner;
        private long _bytes;
        private HnswIndex? _index;
        private bool _joined;
        private bool _released;

        public ScopeIndex(string id, InProcessSemanticCache owner)
        {
            Id = id;
            _owner = owner;
            _capacity = owner._capacityPerScope;
            _maxBytes = owner._maxBytesPerScope;
            _policy = owner._policy.Create<ulong>(new EvictionPolicyContext(owner._capacityPerScope, owner._maxBytesPerScope));
            _handles = _policy as IHandleEvictionPolicy<ulong>;
        }

        public string Id { get; }

        public int Count => _entries.Count;

        public long Bytes => Interlocked.Read(ref _bytes);

        long ICacheBudgetMember.BudgetBytes => Interlocked.Read(ref _bytes);

        bool ICacheBudgetMember.EvictOne()
        {
            Entry? v = null;
            lock (_lock)
            {
                if (_entries.IsEmpty || !_policy.TryEvict(out ulong victim))
                {
                    return false;
                }

                if (_entries.TryRemove(victim, out v))
                {
                    Leave(v);
                    _index?.Remove(victim);
                    ReleaseIfEmpty();
                }
            }

            if (v is not null)
            {
                _owner.ForgetProvenance(this, v);
            }

            RagKitTelemetry.Evictions.Add(1, RagKitTelemetry.Tier(TierName));
            return true;
        }

        /// <summary>Searches the index; a scope released meanwhile (index disposed) has nothing to find.</summary>
        private static int Search(HnswIndex index, ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
        {
            try
            {
                return index.Search(query, keys, distances);
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
        }

        /// <summary>Caller holds the lock: an empty scope leaves the owner's map and the budget and frees its index.</summary>
        private void ReleaseIfEmpty()
        {
            if (!_entries.IsEmpty || _released)
            {
                return;
            }

            _released = true;
            _owner._scopes.TryRemove(new KeyValuePair<string, ScopeIndex>(Id, this));
            if (_joined)
            {
                _owner._budget?.Leave(this, _bytes);
            }

            HnswIndex? index = _index;
            Volatile.Write(ref _index, null);
            index?.Dispose();
        }

        public IEnumerable<Entry> Snapshot() => _entries.Values.ToArray();

        public SemanticCacheHit? Find(in SemanticQuery query, DateTimeOffset now, InProcessSemanticCache owner, out SemanticExploration exploration)
        {
            exploration = default;
            HnswIndex? index = Volatile.Read(ref _index);
            ReadOnlySpan<float> q = query.Embedding.Span;
            if (index is null || q.Length != index.Dimensions)
            {
                return null;
            }

            Span<ulong> keys = stackalloc ulong[Candidates];
            Span<float> distances = stackalloc float[Candidates];
            Span<float> similarities = stackalloc float[Candidates];
            int found = Search(index, q, keys, distances);
            CandidateBuffer candidates = default;
            float cut = owner._rule.CandidateFloor(query.Threshold);
            int all = 0;
            for (int i = 0; i < found; i++)
            {
                if (!_entries.TryGetValue(keys[i], out Entry? e))
                {
                    continue;
                }

                if (e.Answer.ExpiresAt <= now || (owner._idleTicks != 0 && now.UtcTicks - Volatile.Read(ref e.LastAccess) >= owner._idleTicks))
                {
                    Remove(e.Id, owner);
                    continue;
                }

                if (!string.Equals(e.Answer.ScopeId, query.Scope.Id, StringComparison.Ordinal))
                {
                    continue;
                }

                // The index only proposes; exact cosine on the stored f32 vector decides.
                float similarity = TensorPrimitives.CosineSimilarity(q, e.Vector);

                // Insertion sort, most similar first. Neighbours below the cut stay: they are the answer neighbourhood.
                int k = all++;
                while (k > 0 && similarities[k - 1] < similarity)
                {
                    similarities[k] = similarities[k - 1];
                    candidates[k] = candidates[k - 1];
                    k--;
                }

                similarities[k] = similarity;
                candidates[k] = e;
            }

            int n = 0;
            while (n < all && similarities[n] >= cut)
            {
                n++;
            }

            // One id per distinct answer cluster among the neighbours, for the neighbourhood of each candidate.
            Span<int> answers = stackalloc int[all];
            Span<float> candidateSimilarities = stackalloc float[all];
            for (int i = 0; i < all; i++)
            {
                answers[i] = i;
                for (int j = 0; j < i; j++)
                {
                    if (ReferenceEquals(candidates[j]!.Cluster, candidates[i]!.Cluster))
                    {
                        answers[i] = answers[j];
                        break;
                    }
                }
            }

            if (n > 0 && owner._rule is IVerifyingMatchRule verified)
            {
                // The verified rule decides on the most similar candidate, with its neighbourhood.
                int hood = Neighbourhood(ref candidates, similarities, n, verified.Vote);
                Entry top = candidates[0]!;
                SemanticDecision decision = verified.Decide(query.Question, top.Question, similarities[0], query.Threshold, Volatile.Read(ref top.MinSimilarity), hood, top.Observations);
                if (decision == SemanticDecision.Explore)
                {
                    exploration = new SemanticExploration(top, similarities[0], hood, top.Answer);
                }

                n = decision == SemanticDecision.Serve ? 1 : 0;
            }

            for (int i = 0; i < n; i++)
            {
                Entry best = candidates[i]!;
                float bestSimilarity = similarities[i];
                if (owner._rule is IVerifyingMatchRule)
                {
                    goto Serve;
                }

                // The candidate's own similarity to its same-answer neighbours, for the outlier gap.
                for (int j = 0; j < all; j++)
                {
                    candidateSimilarities[j] = j != i && answers[j] == answers[i] ? TensorPrimitives.CosineSimilarity(best.Vector, candidates[j]!.Vector) : 0f;
                }

                var candidate = new SemanticMatchCandidate(query.Question, query.Embedding, best.Question, best.Vector, bestSimilarity, query.Threshold, best.Stats)
                {
                    Neighbourhood = AnswerNeighbourhoods.Of(similarities[..all], answers, i, full: found == Candidates, candidateSimilarities[..all]),
                };
                if (!owner._rule.Accept(candidate))
                {
                    continue;
                }

            Serve:

                Interlocked.Increment(ref best.Cluster.Hits);
                if (owner._idleTicks != 0)
                {
                    Volatile.Write(ref best.LastAccess, now.UtcTicks);
                }

                if (_lock.TryEnter())
                {
                    try
                    {
                        if (_handles is not null && best.HasHandle)
                        {
                            _handles.OnAccessed(best.Handle);
                        }
                        else
                        {
                            _policy.OnAccessed(best.Id);
                        }
                    }
                    finally
                    {
                        _lock.Exit();
                    }
                }

                if (owner._clusters && bestSimilarity < ClusterMemberMaxSimilarity)
                {
                    // The hit joins the answer's cluster: later paraphrases of it are matched too.
                    ulong id = (ulong)Interlocked.Increment(ref owner._nextId);
                    owner.Insert(this, new Entry(id, q.ToArray(), best.Answer, query.Question, best.Cluster, owner.NewObservations()));
                }

                return new SemanticCacheHit(best.Answer, bestSimilarity);
            }

            return null;
        }

        /// <summary>
        /// Neighbourhood of the candidates (most similar first): with <see cref="IVerifyingMatchRule.Vote"/>, the answer
        /// cluster with the highest summed similarity wins, its most similar member is moved to the front, and the class
        /// says how clear the vote was; otherwise the nearest candidate is kept and the class says whether another answer
        /// is close to it or how many neighbours agree with it.
        /// </summary>
        private static int Neighbourhood(ref CandidateBuffer candidates, Span<float> similarities, int n, bool vote)
        {
            if (n == 1)
            {
                return NeighbourhoodClass.Alone;
            }

            if (vote)
            {
                float total = 0, bestScore = 0;
                int winner = 0, winnerMembers = 0;
                for (int i = 0; i < n; i++)
                {
                    total += similarities[i];
                    float score = 0;
                    int members = 0;
                    for (int j = 0; j < n; j++)
                    {
                        if (ReferenceEquals(candidates[j]!.Cluster, candidates[i]!.Cluster))
                        {
                            score += similarities[j];
                            members++;
                        }
                    }

                    if (score > bestScore + 1e-6f)
                    {
                        bestScore = score;
                        winner = i;
                        winnerMembers = members;
                    }
                }

                if (winner != 0)
                {
                    (candidates[0], candidates[winner]) = (candidates[winner], candidates[0]);
                    (similarities[0], similarities[winner]) = (similarities[winner], similarities[0]);
                }

                float share = bestScore / total;
                return share < 0.6f ? NeighbourhoodClass.Ambiguous
                    : share < 0.999f ? NeighbourhoodClass.Agreeing(0)
                    : NeighbourhoodClass.Agreeing(Math.Min(winnerMembers - 1, 3));
            }

            Cluster top = candidates[0]!.Cluster;
            float other = float.NegativeInfinity;
            int same = 0;
            for (int i = 1; i < n; i++)
            {
                if (ReferenceEquals(candidates[i]!.Cluster, top))
                {
                    same++;
                }
                else if (similarities[i] > other)
                {
                    other = similarities[i];
                }
            }

            if (similarities[0] - other <= VerifiedMatchRule.AmbiguityMargin)
            {
                return NeighbourhoodClass.Ambiguous;
            }

            return NeighbourhoodClass.Agreeing(same);
        }

        public int Penalize(ReadOnlySpan<float> q, float threshold)
        {
            HnswIndex? index = Volatile.Read(ref _index);
            if (index is null || q.Length != index.Dimensions)
            {
                return 0;
            }

            Span<ulong> keys = stackalloc ulong[Candidates * 2];
            Span<float> distances = stackalloc float[Candidates * 2];
            int found = Search(index, q, keys, distances);
            int changed = 0;
            for (int i = 0; i < found; i++)
            {
                if (!_entries.TryGetValue(keys[i], out Entry? e))
                {
                    continue;
                }

                float similarity = TensorPrimitives.CosineSimilarity(q, e.Vector);
                if (similarity < threshold || similarity < Volatile.Read(ref e.MinSimilarity))
                {
                    continue;
                }

                Volatile.Write(ref e.MinSimilarity, Math.Min(1f, similarity + FeedbackMargin));
                e.Observations?.Record(similarity, correct: false);
                Interlocked.Increment(ref e.Cluster.WrongReports);
                changed++;
            }

            return changed;
        }

        /// <summary>
        /// The answer cluster of the nearby cached question (among the entry's question's nearest) whose answer embedding is
        /// the most similar to the entry's, at least <paramref name="minSimilarity"/>, with the same numbers, amounts, dates
        /// and currencies in both answers (an order number that differs is a different answer; the numbers of a numbered
        /// list are not values), and at least <paramref name="margin"/> more similar than any answer of another nearby
        /// cluster with the same values; null when none is.
        /// </summary>
        public Cluster? SimilarAnswer(Entry entry, float minSimilarity, float margin, DateTimeOffset now)
        {
            HnswIndex? index = Volatile.Read(ref _index);
            ReadOnlySpan<float> answer = entry.Answer.AnswerEmbedding.Span;
            if (index is null || entry.Vector.Length != index.Dimensions)
            {
                return null;
            }

            Span<ulong> keys = stackalloc ulong[Candidates];
            Span<float> distances = stackalloc float[Candidates];
            Span<float> similarities = stackalloc float[Candidates];
            Span<int> answers = stackalloc int[Candidates];
            CandidateBuffer neighbours = default;
            int found = Search(index, entry.Vector, keys, distances);
            for (int i = 0; i < found; i++)
            {
                similarities[i] = float.NegativeInfinity;
                answers[i] = i;
                if (!_entries.TryGetValue(keys[i], out Entry? e))
                {
                    continue;
                }

                neighbours[i] = e;
                for (int j = 0; j < i; j++)
                {
                    if (ReferenceEquals(neighbours[j]?.Cluster, e.Cluster))
                    {
                        answers[i] = answers[j];
                        break;
                    }
                }

                if (e.Answer.ExpiresAt <= now
                    || !string.Equals(e.Answer.ScopeId, entry.Answer.ScopeId, StringComparison.Ordinal)
                    || entry.AnswerValues != e.AnswerValues)
                {
                    continue;
                }

                ReadOnlySpan<float> other = e.Answer.AnswerEmbedding.Span;
                if (other.Length == answer.Length)
                {
                    similarities[i] = TensorPrimitives.CosineSimilarity(answer, other);
                }
            }

            int best = AnswerLinks.Choose(similarities[..found], answers[..found], minSimilarity, margin);
            return best < 0 ? null : neighbours[best]!.Cluster;
        }

        /// <summary>Adds the entry; a fresh cluster joins the scope's cluster of the same answer text, else <paramref name="similar"/>.</summary>
        /// <returns>How many entries were evicted; -1 when the scope was released (the entry was not added).</returns>
        public int Add(Entry entry, InProcessSemanticCache owner, Cluster? similar = null)
        {
            List<Entry>? evicted = null;
            lock (_lock)
            {
                if (_released)
                {
                    return -1;
                }

                if (!_joined && owner._budget is { } budget)
                {
                    _joined = true;
                    budget.Join(this);
                }

                _index ??= new HnswIndex(entry.Vector.Length, ScalarKind.Int8);
                if (entry.Vector.Length != _index.Dimensions)
                {
                    throw new ArgumentException($"Embedding has {entry.Vector.Length} dimensions; this scope's index has {_index.Dimensions}.", nameof(entry));
                }

                if (Volatile.Read(ref entry.Cluster.Size) == 0)
                {
                    // Questions whose answers are the same text share one cluster: the answer neighbourhood.
                    if (_answers.TryGetValue(entry.AnswerKey, out Cluster? same))
                    {
                        entry.Cluster = same;
                    }
                    else if (similar is not null && Volatile.Read(ref similar.Size) > 0)
                    {
                        // An equivalent answer in other words: same cluster, registered under the first answer's text.
                        entry.Cluster = similar;
                    }
                    else
                    {
                        entry.Cluster.AnswerKey = entry.AnswerKey;
                        _answers[entry.AnswerKey] = entry.Cluster;
                    }
                }

                _index.Add(entry.Id, entry.Vector);
                _entries[entry.Id] = entry;
                Interlocked.Increment(ref entry.Cluster.Size);
                _bytes += entry.Size;
                owner._budget?.Add(entry.Size);
                var info = new EvictionEntryInfo(entry.Size, entry.Answer.GenerationCost.TotalSeconds);
                if (_handles is not null)
                {
                    entry.Handle = _handles.Insert(entry.Id, info);
                    entry.HasHandle = true;
                }
                else
                {
                    _policy.OnInserted(entry.Id, info);
                }

                while ((_entries.Count > _capacity || _bytes > _maxBytes) && _policy.TryEvict(out ulong victim))
                {
                    if (_entries.TryRemove(victim, out Entry? v))
                    {
                        Leave(v);
                        _index.Remove(victim);
                        (evicted ??= []).Add(v);
                    }
                }

                ReleaseIfEmpty();
            }

            if (evicted is null)
            {
                return 0;
            }

            foreach (Entry v in evicted)
            {
                owner.ForgetProvenance(this, v);
            }

            return evicted.Count;
        }

        public bool Remove(ulong id, InProcessSemanticCache owner)
        {
            Entry? removed;
            lock (_lock)
            {
                if (!_entries.TryRemove(id, out removed))
                {
                    return false;
                }

                Leave(removed);
                _policy.OnRemoved(id);
                _index?.Remove(id);
                ReleaseIfEmpty();
            }

            owner.ForgetProvenance(this, removed);
            return true;
        }

        public void Dispose() => _index?.Dispose();

        /// <summary>The entry leaves the scope and its cluster (under the lock); an empty cluster is forgotten.</summary>
        private void Leave(Entry entry)
        {
            _bytes -= entry.Size;
            _owner._budget?.Add(-entry.Size);
            Cluster c = entry.Cluster;
            if (Interlocked.Decrement(ref c.Size) == 0 && c.AnswerKey is not null
                && _answers.TryGetValue(c.AnswerKey, out Cluster? registered) && ReferenceEquals(registered, c))
            {
                _answers.Remove(c.AnswerKey);
            }
        }
    }

    [InlineArray(Candidates)]
    private struct CandidateBuffer
    {
        private Entry? _first;
    }
}

/// <summary>A candidate a verified rule chose to explore (default when none): verify the fresh answer against <see cref="Answer"/>.</summary>
internal readonly record struct SemanticExploration(object? Entry, float Similarity, int Neighbourhood, CachedAnswer? Answer)
{
    public bool IsExplore => Entry is not null;
}
