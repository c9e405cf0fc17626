using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using RagKit.Diagnostics;
using RagKit.Internal;

namespace RagKit.Caching;

/// <summary>
/// The embedded semantic tier: one approximate nearest-neighbour index (USearch HNSW, f16) per scope over
/// question embeddings. Candidates from the index are re-scored with exact f32 cosine, so the threshold
/// decision is not blurred by quantization.
/// </summary>
internal sealed class InProcessSemanticCache : ISemanticAnswerCache, IDisposable
{
    private const int Candidates = 8;
    private readonly ConcurrentDictionary<string, ScopeIndex> _scopes = new(StringComparer.Ordinal);
    private readonly Dictionary<DocumentKey, HashSet<(ScopeIndex Scope, ulong Id)>> _byDocument = [];
    private readonly Lock _provenanceLock = new();
    private readonly TimeProvider _time;
    private readonly int _capacityPerScope;
    private readonly EvictionPolicyFactory _policy;
    private long _nextId;

    public InProcessSemanticCache(int capacityPerScope, EvictionPolicyFactory policy, TimeProvider time)
    {
        _capacityPerScope = capacityPerScope;
        _policy = policy;
        _time = time;
    }

    public const string TierName = "semantic";

    public string Name => TierName;

    public int Count => _scopes.Values.Sum(s => s.Count);

    public ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken)
    {
        if (!_scopes.TryGetValue(query.Scope.Id, out ScopeIndex? scope))
        {
            return ValueTask.FromResult<SemanticCacheHit?>(null);
        }

        return ValueTask.FromResult(scope.Find(query, _time.GetUtcNow(), this));
    }

    public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
    {
        if (!string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException("The answer was made under a different scope.", nameof(answer));
        }

        ScopeIndex index = _scopes.GetOrAdd(scope.Id, static (_, s) => new ScopeIndex(s), this);
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        var entry = new Entry(id, embedding.ToArray(), answer);
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

        int evicted = index.Add(entry, this);
        if (evicted > 0)
        {
            RagKitTelemetry.Evictions.Add(evicted, RagKitTelemetry.Tier(TierName));
        }

        return ValueTask.CompletedTask;
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
            if (string.Equals(e.Answer.Question, normalizedQuestion, StringComparison.Ordinal) && index.Remove(e.Id, this))
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

    private sealed record Entry(ulong Id, float[] Vector, CachedAnswer Answer);

    private sealed class ScopeIndex : IDisposable
    {
        private readonly ConcurrentDictionary<ulong, Entry> _entries = new();
        private readonly IEvictionPolicy<ulong> _policy;
        private readonly Lock _lock = new();
        private readonly int _capacity;
        private HnswIndex? _index;

        public ScopeIndex(InProcessSemanticCache owner)
        {
            _capacity = owner._capacityPerScope;
            _policy = owner._policy.Create<ulong>(new EvictionPolicyContext(owner._capacityPerScope, long.MaxValue));
        }

        public int Count => _entries.Count;

        public IEnumerable<Entry> Snapshot() => _entries.Values.ToArray();

        public SemanticCacheHit? Find(in SemanticQuery query, DateTimeOffset now, InProcessSemanticCache owner)
        {
            HnswIndex? index = Volatile.Read(ref _index);
            ReadOnlySpan<float> q = query.Embedding.Span;
            if (index is null || q.Length != index.Dimensions)
            {
                return null;
            }

            Span<ulong> keys = stackalloc ulong[Candidates];
            Span<float> distances = stackalloc float[Candidates];
            int found = index.Search(q, keys, distances);
            Entry? best = null;
            float bestSimilarity = float.NegativeInfinity;
            for (int i = 0; i < found; i++)
            {
                // The index only proposes; exact cosine on the stored f32 vector decides.
                if (1f - distances[i] < query.Threshold - 0.05f || !_entries.TryGetValue(keys[i], out Entry? e))
                {
                    continue;
                }

                if (e.Answer.ExpiresAt <= now)
                {
                    Remove(e.Id, owner);
                    continue;
                }

                float similarity = TensorPrimitives.CosineSimilarity(q, e.Vector);
                if (similarity > bestSimilarity)
                {
                    bestSimilarity = similarity;
                    best = e;
                }
            }

            if (best is null || bestSimilarity < query.Threshold
                || !string.Equals(best.Answer.ScopeId, query.Scope.Id, StringComparison.Ordinal))
            {
                return null;
            }

            if (_lock.TryEnter())
            {
                try
                {
                    _policy.OnAccessed(best.Id);
                }
                finally
                {
                    _lock.Exit();
                }
            }

            return new SemanticCacheHit(best.Answer, bestSimilarity);
        }

        public int Add(Entry entry, InProcessSemanticCache owner)
        {
            List<Entry>? evicted = null;
            lock (_lock)
            {
                _index ??= new HnswIndex(entry.Vector.Length, ScalarKind.Float16);
                if (entry.Vector.Length != _index.Dimensions)
                {
                    throw new ArgumentException($"Embedding has {entry.Vector.Length} dimensions; this scope's index has {_index.Dimensions}.", nameof(entry));
                }

                _index.Add(entry.Id, entry.Vector);
                _entries[entry.Id] = entry;
                _policy.OnInserted(entry.Id, new EvictionEntryInfo(entry.Answer.EstimatedSize + (entry.Vector.Length * 4), entry.Answer.GenerationCost.TotalSeconds));
                while (_entries.Count > _capacity && _policy.TryEvict(out ulong victim))
                {
                    if (_entries.TryRemove(victim, out Entry? v))
                    {
                        _index.Remove(victim);
                        (evicted ??= []).Add(v);
                    }
                }
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

                _policy.OnRemoved(id);
                _index?.Remove(id);
            }

            owner.ForgetProvenance(this, removed);
            return true;
        }

        public void Dispose() => _index?.Dispose();
    }
}
