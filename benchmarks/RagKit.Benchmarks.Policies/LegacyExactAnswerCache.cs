using System.Collections.Concurrent;
using RagKit;
using RagKit.Caching;

/// <summary>
/// Frozen copy of the exact tier as it was before the striped read buffer (commit 9c11d09): lossy Monitor.TryEnter
/// per hit and TimeProvider.GetUtcNow() per hit. Kept only so the benchmark measures before and after in one run.
/// </summary>
internal sealed class LegacyExactAnswerCache
{
    private readonly ConcurrentDictionary<ExactKey, CachedAnswer> _entries = new();
    private readonly Dictionary<DocumentKey, HashSet<ExactKey>> _byDocument = [];
    private readonly IEvictionPolicy<ExactKey> _policy;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _maxEntries;
    private readonly long _maxBytes;
    private long _bytes;

    public LegacyExactAnswerCache(int maxEntries, long maxBytes, EvictionPolicyFactory policy, TimeProvider time)
    {
        _maxEntries = maxEntries;
        _maxBytes = maxBytes;
        _time = time;
        _policy = policy.Create<ExactKey>(new EvictionPolicyContext(maxEntries, maxBytes));
    }

    public const string TierName = "exact";

    public int Count => _entries.Count;

    public long Bytes => Interlocked.Read(ref _bytes);

    public CachedAnswer? TryGet(in ScopeKey scope, ReadOnlySpan<char> normalizedQuestion)
    {
        var key = new ExactKey(scope.Hash, QuestionNormalizer.Hash(normalizedQuestion));
        if (!_entries.TryGetValue(key, out CachedAnswer? entry))
        {
            return null;
        }

        // Hashes locate the entry; the full scope id and question decide it, so a collision can never cross scopes.
        if (!string.Equals(entry.ScopeId, scope.Id, StringComparison.Ordinal) || !normalizedQuestion.SequenceEqual(entry.Question))
        {
            return null;
        }

        if (entry.ExpiresAt <= _time.GetUtcNow())
        {
            Remove(key, entry);
            return null;
        }

        entry.RecordHit();

        // Recording recency is best effort under contention: a hit never waits for a lock.
        if (_lock.TryEnter())
        {
            try
            {
                _policy.OnAccessed(key);
            }
            finally
            {
                _lock.Exit();
            }
        }

        return entry;
    }

    /// <summary>A point-in-time copy of the entries (for background refresh-ahead scans; not on the hit path).</summary>
    public IReadOnlyCollection<CachedAnswer> Snapshot() => _entries.Values.ToArray();

    public void Set(in ScopeKey scope, CachedAnswer answer)
    {
        var key = new ExactKey(scope.Hash, QuestionNormalizer.Hash(answer.Question));
        long size = answer.EstimatedSize;
        if (size > _maxBytes)
        {
            return;
        }

        int evicted = 0;
        lock (_lock)
        {
            if (_entries.TryRemove(key, out CachedAnswer? old))
            {
                _policy.OnRemoved(key);
                Forget(key, old);
            }

            _entries[key] = answer;
            _bytes += size;
            foreach (ProvenanceEntry p in answer.Provenance)
            {
                if (!_byDocument.TryGetValue(p.Document, out HashSet<ExactKey>? set))
                {
                    _byDocument[p.Document] = set = [];
                }

                set.Add(key);
            }

            _policy.OnInserted(key, new EvictionEntryInfo(size, answer.GenerationCost.TotalSeconds));
            while ((_entries.Count > _maxEntries || _bytes > _maxBytes) && _policy.TryEvict(out ExactKey victim))
            {
                if (_entries.TryRemove(victim, out CachedAnswer? v))
                {
                    Forget(victim, v);
                    evicted++;
                }
            }
        }

        if (evicted > 0)
        {
            GC.KeepAlive(evicted);
        }
    }

    public int InvalidateDocuments(IReadOnlyCollection<DocumentKey> documents)
    {
        int removed = 0;
        lock (_lock)
        {
            foreach (DocumentKey doc in documents)
            {
                if (!_byDocument.TryGetValue(doc, out HashSet<ExactKey>? keys))
                {
                    continue;
                }

                foreach (ExactKey key in keys.ToArray())
                {
                    if (_entries.TryRemove(key, out CachedAnswer? entry))
                    {
                        _policy.OnRemoved(key);
                        Forget(key, entry);
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
        if (_entries.TryGetValue(key, out CachedAnswer? entry))
        {
            Remove(key, entry);
        }
    }

    private void Remove(ExactKey key, CachedAnswer entry)
    {
        lock (_lock)
        {
            // Only remove the entry we looked at, not a newer one stored meanwhile.
            if (_entries.TryRemove(new KeyValuePair<ExactKey, CachedAnswer>(key, entry)))
            {
                _policy.OnRemoved(key);
                Forget(key, entry);
            }
        }
    }

    private void Forget(ExactKey key, CachedAnswer entry)
    {
        _bytes -= entry.EstimatedSize;
        foreach (ProvenanceEntry p in entry.Provenance)
        {
            if (_byDocument.TryGetValue(p.Document, out HashSet<ExactKey>? set))
            {
                set.Remove(key);
                if (set.Count == 0)
                {
                    _byDocument.Remove(p.Document);
                }
            }
        }
    }
}
