using System.Collections.Concurrent;
using RagKit.Diagnostics;

namespace RagKit.Caching;

/// <summary>Key of the in-process exact tier: hashes of the scope (with versions) and of the normalized question.</summary>
internal readonly record struct ExactKey(ulong ScopeHash, ulong QuestionHash)
{
    /// <summary>The hashes are already well mixed (xxHash3): fold them instead of combining field by field.</summary>
    public override int GetHashCode() => (int)(QuestionHash ^ (QuestionHash >> 32) ^ ScopeHash);
}

/// <summary>
/// The L1 exact tier: in-process, keyed by normalized question and scope, bounded by entry count and bytes,
/// with TTL and a pluggable eviction policy. Hits take no lock and allocate nothing: a hit is recorded in a
/// striped, lossy read buffer that is replayed to the policy under the lock — on the thread pool when a stripe is
/// a quarter full, by the reader when it is full, and always before an eviction decision (so a single thread's reads
/// reach the policy exactly and in order; concurrent reads may be dropped or reordered across threads). Built-in
/// policies hand out a handle per entry on insert, kept in the entry, so a replayed read skips the policy's lookup by
/// key; other policies are driven by key.
/// </summary>
internal sealed class ExactAnswerCache : IThreadPoolWorkItem, ICacheBudgetMember
{
    private readonly ConcurrentDictionary<ExactKey, Node> _entries = new();
    private readonly Dictionary<DocumentKey, HashSet<ExactKey>> _byDocument = [];
    private readonly StripedReadBuffer<Node> _reads = new();
    private readonly IEvictionPolicy<ExactKey> _policy;

    // The built-in policies hand out a handle per entry: replayed reads go straight to it, no lookup by key.
    private readonly IHandleEvictionPolicy<ExactKey>? _handles;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly bool _systemClock;
    private readonly int _maxEntries;
    private readonly long _maxBytes;
    private readonly CacheMemoryBudget? _budget;

    /// <summary>Expire-after-access in the hit path's clock units; 0 = off.</summary>
    private readonly long _idleTicks;
    private long _bytes;
    private int _drainScheduled;

    /// <summary>Creates the tier; <paramref name="slidingExpiration"/> (expire-after-access): an entry not hit for this long
    /// expires before its TTL, null = TTL only; <paramref name="budget"/>: a byte budget shared with other caches and scopes.</summary>
    public ExactAnswerCache(int maxEntries, long maxBytes, EvictionPolicyFactory policy, TimeProvider time, TimeSpan? slidingExpiration = null, CacheMemoryBudget? budget = null)
    {
        _maxEntries = maxEntries;
        _maxBytes = maxBytes;
        _time = time;
        _systemClock = ReferenceEquals(time, TimeProvider.System);
        if (slidingExpiration is { } idle)
        {
            double ticks = Math.Ceiling(idle.TotalSeconds * (_systemClock ? 1000 : time.TimestampFrequency));
            _idleTicks = ticks >= long.MaxValue ? long.MaxValue : Math.Max(1, (long)ticks);
        }

        _policy = policy.Create<ExactKey>(new EvictionPolicyContext(maxEntries, maxBytes));
        _handles = _policy as IHandleEvictionPolicy<ExactKey>;
        _budget = budget;
        budget?.Join(this);
    }

    public const string TierName = TierNames.Exact;

    public int Count => _entries.Count;

    public long Bytes => Interlocked.Read(ref _bytes);

    long ICacheBudgetMember.BudgetBytes => Interlocked.Read(ref _bytes);

    bool ICacheBudgetMember.EvictOne()
    {
        lock (_lock)
        {
            _reads.Drain(new Replay(this));
            if (_entries.IsEmpty || !_policy.TryEvict(out ExactKey victim))
            {
                return false;
            }

            if (_entries.TryRemove(victim, out Node? v))
            {
                Forget(v);
            }
        }

        RagKitTelemetry.Evictions.Add(1, new KeyValuePair<string, object?>("tier", TierName));
        return true;
    }

    public CachedAnswer? TryGet(in ScopeKey scope, ReadOnlySpan<char> normalizedQuestion)
    {
        var key = new ExactKey(scope.Hash, QuestionNormalizer.Hash(normalizedQuestion));
        if (!_entries.TryGetValue(key, out Node? node))
        {
            return null;
        }

        // Hashes locate the entry; the full scope id and question decide it, so a collision can never cross scopes.
        // The pipeline hands the same scope id string it stored with, so reference equality settles it without a compare.
        CachedAnswer entry = node.Answer;
        if ((!ReferenceEquals(entry.ScopeId, scope.Id) && !string.Equals(entry.ScopeId, scope.Id, StringComparison.Ordinal))
            || !normalizedQuestion.SequenceEqual(entry.Question))
        {
            return null;
        }

        // Expiry is a long compare, no DateTimeOffset: with the system clock against Environment.TickCount64 (a coarse
        // monotonic millisecond clock, several times cheaper to read here than Stopwatch or UtcNow), else against the
        // provider's timestamp (so FakeTimeProvider still drives expiry).
        long now = _systemClock ? Environment.TickCount64 : _time.GetTimestamp();
        if (node.ExpiresAt <= now || (_idleTicks != 0 && now - Volatile.Read(ref node.LastAccess) >= _idleTicks))
        {
            Remove(key, node);
            return null;
        }

        // Expire-after-access: a plain store, and only when the clock moved (TickCount64 is coarse), so concurrent
        // hits on one entry rarely write its cache line.
        if (_idleTicks != 0 && node.LastAccess != now)
        {
            Volatile.Write(ref node.LastAccess, now);
        }

        entry.RecordHit();
        RecordRead(node);
        return entry;
    }

    /// <summary>Runs a drain scheduled by <see cref="RecordRead"/> on the thread pool.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        lock (_lock)
        {
            _reads.Drain(new Replay(this));
            Volatile.Write(ref _drainScheduled, 0);
        }
    }

    private void RecordRead(Node node)
    {
        int size = _reads.TryAdd(node);
        if (size == StripedReadBuffer<Node>.Capacity / 4)
        {
            // A quarter full: replay the reads to the policy off the hit path (as BitFaster's ConcurrentLfu does).
            // Test before test-and-set: no locked instruction while a drain is already pending.
            if (Volatile.Read(ref _drainScheduled) == 0 && Interlocked.CompareExchange(ref _drainScheduled, 1, 0) == 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
        else if (size == StripedReadBuffer<Node>.Full)
        {
            // Full: drain here if the lock is free. If the scheduled drain holds it, wait for it (it is short) so a
            // single thread never loses a read; when other threads hold it, drop this read (lossy under contention).
            bool taken = _lock.TryEnter();
            if (!taken && Volatile.Read(ref _drainScheduled) != 0)
            {
                _lock.Enter();
                taken = true;
            }

            if (taken)
            {
                try
                {
                    _reads.Drain(new Replay(this));
                    new Replay(this).Apply(node);
                }
                finally
                {
                    _lock.Exit();
                }
            }
        }
    }

    /// <summary>A point-in-time copy of the entries (for background refresh-ahead scans; not on the hit path).</summary>
    public IReadOnlyCollection<CachedAnswer> Snapshot() => _entries.Values.Select(n => n.Answer).ToArray();

    public void Set(in ScopeKey scope, CachedAnswer answer)
    {
        var key = new ExactKey(scope.Hash, QuestionNormalizer.Hash(answer.Question));
        long size = answer.EstimatedSize;
        if (size > _maxBytes)
        {
            return;
        }

        var node = new Node(key, answer, ToTimestamp(answer.ExpiresAt), _systemClock ? Environment.TickCount64 : _time.GetTimestamp());
        int evicted = 0;
        lock (_lock)
        {
            _reads.Drain(new Replay(this));
            if (_entries.TryRemove(key, out Node? old))
            {
                _policy.OnRemoved(key);
                Forget(old);
            }

            _entries[key] = node;
            _bytes += size;
            _budget?.Add(size);
            foreach (ProvenanceEntry p in answer.Provenance)
            {
                if (!_byDocument.TryGetValue(p.Document, out HashSet<ExactKey>? set))
                {
                    _byDocument[p.Document] = set = [];
                }

                set.Add(key);
            }

            var info = new EvictionEntryInfo(size, answer.GenerationCost.TotalSeconds);
            if (_handles is not null)
            {
                // Set before any replay can see the node: replays run under this lock.
                node.Handle = _handles.Insert(key, info);
            }
            else
            {
                _policy.OnInserted(key, info);
            }

            while ((_entries.Count > _maxEntries || _bytes > _maxBytes) && _policy.TryEvict(out ExactKey victim))
            {
                if (_entries.TryRemove(victim, out Node? v))
                {
                    Forget(v);
                    evicted++;
                }
            }
        }

        if (evicted > 0)
        {
            RagKitTelemetry.Evictions.Add(evicted, RagKitTelemetry.Tier(TierName));
        }

        _budget?.Enforce();
    }

    public int InvalidateDocuments(IReadOnlyCollection<DocumentKey> documents)
    {
        int removed = 0;
        lock (_lock)
        {
            _reads.Drain(new Replay(this));
            foreach (DocumentKey doc in documents)
            {
                if (!_byDocument.TryGetValue(doc, out HashSet<ExactKey>? keys))
                {
                    continue;
                }

                foreach (ExactKey key in keys.ToArray())
                {
                    if (_entries.TryRemove(key, out Node? entry))
                    {
                        _policy.OnRemoved(key);
                        Forget(entry);
                        removed++;
                    }
                }
            }
        }

        return removed;
    }

    public void Remove(in ScopeKey scope, string normalizedQuestion)
    {
        var key = new ExactKey(scope.Hash, QuestionNormalizer.Hash(normalizedQuestion));
        if (_entries.TryGetValue(key, out Node? node))
        {
            Remove(key, node);
        }
    }

    private void Remove(ExactKey key, Node node)
    {
        lock (_lock)
        {
            _reads.Drain(new Replay(this));

            // Only remove the entry we looked at, not a newer one stored meanwhile.
            if (_entries.TryRemove(new KeyValuePair<ExactKey, Node>(key, node)))
            {
                _policy.OnRemoved(key);
                Forget(node);
            }
        }
    }

    /// <summary>Converts an absolute expiry to the clock the hit path compares against (saturating).</summary>
    private long ToTimestamp(DateTimeOffset expiresAt)
    {
        long now = _systemClock ? Environment.TickCount64 : _time.GetTimestamp();
        long frequency = _systemClock ? 1000 : _time.TimestampFrequency;
        TimeSpan left = expiresAt - _time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            return now;
        }

        double ticks = left.TotalSeconds * frequency;
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    /// <summary>Caller holds the lock.</summary>
    private void Forget(Node node)
    {
        node.Removed = true;
        _bytes -= node.Answer.EstimatedSize;
        _budget?.Add(-node.Answer.EstimatedSize);
        foreach (ProvenanceEntry p in node.Answer.Provenance)
        {
            if (_byDocument.TryGetValue(p.Document, out HashSet<ExactKey>? set))
            {
                set.Remove(node.Key);
                if (set.Count == 0)
                {
                    _byDocument.Remove(p.Document);
                }
            }
        }
    }

    /// <summary>Replays buffered reads to the policy (caller holds the lock): by handle when the policy has them.</summary>
    private readonly struct Replay(ExactAnswerCache cache) : IReadConsumer<Node>
    {
        public void Apply(Node node)
        {
            if (node.Removed)
            {
                return;
            }

            if (cache._handles is { } handles)
            {
                handles.OnAccessed(node.Handle);
            }
            else
            {
                cache._policy.OnAccessed(node.Key);
            }
        }
    }

    /// <summary>An entry: the answer, its key (for the read buffer) and its expiry and last hit on the hit path's clock.</summary>
    private sealed class Node(ExactKey key, CachedAnswer answer, long expiresAt, long createdAt)
    {
        /// <summary>When the entry was last hit (or stored); read only with expire-after-access on.</summary>
        public long LastAccess = createdAt;

        public ExactKey Key { get; } = key;

        public CachedAnswer Answer { get; } = answer;

        public long ExpiresAt { get; } = expiresAt;

        /// <summary>Set under the lock once the entry has left the cache; buffered reads of it are then ignored.</summary>
        public bool Removed { get; set; }

        /// <summary>The policy's handle of this entry (built-in policies), set under the lock on insert.</summary>
        public EvictionHandle Handle { get; set; }
    }
}
