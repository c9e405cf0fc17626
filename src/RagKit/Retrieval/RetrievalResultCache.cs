using System.Numerics.Tensors;
using RagKit.Diagnostics;
using RagKit.Providers;

namespace RagKit.Retrieval;

/// <summary>
/// The retrieval-result tier: (scope, TopK, MinScore) + question → the chunks the vector store returned, found by the
/// normalized question exactly or by embedding similarity at or above a threshold. Sits between the semantic answer
/// cache and the vector store, so a question whose answer is not cached but whose retrieval is skips the store.
/// Invalidated by provenance (a changed or deleted document drops every result that lists it) and, because a new or
/// changed document can enter any result of its collection, by every write to that tenant and collection.
/// </summary>
internal sealed class RetrievalResultCache
{
    public const string TierName = TierNames.Retrieval;

    private readonly int _capacityPerScope;
    private readonly float _threshold;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);

    public RetrievalResultCache(int capacityPerScope, float threshold)
    {
        _capacityPerScope = capacityPerScope;
        _threshold = threshold;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _partitions.Values.Sum(p => p.Entries.Count);
            }
        }
    }

    /// <summary>Number of partitions holding results (a partition whose last result goes is dropped).</summary>
    internal int PartitionCount
    {
        get
        {
            lock (_lock)
            {
                return _partitions.Count;
            }
        }
    }

    /// <summary>The cached chunks for the question in this partition, or null; <paramref name="similarity"/> is 1 for an exact hit.</summary>
    public IReadOnlyList<ChunkMatch>? Find(string partitionKey, string question, ReadOnlySpan<float> vector, out float similarity)
    {
        similarity = 0f;
        if (_capacityPerScope == 0)
        {
            return null;
        }

        lock (_lock)
        {
            if (!_partitions.TryGetValue(partitionKey, out Partition? p))
            {
                return null;
            }

            if (p.Entries.TryGet(question, out Entry? exact))
            {
                similarity = 1f;
                return exact.Chunks;
            }

            // Most recently used first; on equal scores the less recent wins (as before the move to the LRU policy).
            Entry? best = null;
            float bestScore = _threshold;
            foreach ((string _, Entry e) in p.Entries.MostRecentFirst())
            {
                if (e.Vector.Length != vector.Length)
                {
                    continue;
                }

                float s = TensorPrimitives.CosineSimilarity(vector, e.Vector);
                if (s >= bestScore)
                {
                    bestScore = s;
                    best = e;
                }
            }

            if (best is null)
            {
                return null;
            }

            p.Entries.TryGet(best.Question, out _);
            similarity = bestScore;
            return best.Chunks;
        }
    }

    public void Store(string partitionKey, string tenant, string collection, string question, ReadOnlySpan<float> vector, IReadOnlyList<ChunkMatch> chunks)
    {
        if (_capacityPerScope == 0)
        {
            return;
        }

        var entry = new Entry(question, vector.ToArray(), chunks);
        lock (_lock)
        {
            if (!_partitions.TryGetValue(partitionKey, out Partition? p))
            {
                p = new Partition(tenant, collection, _capacityPerScope);
                _partitions[partitionKey] = p;
            }

            p.Entries.Set(question, entry);
        }
    }

    /// <summary>Drops every result that lists one of <paramref name="documents"/>; returns how many.</summary>
    public int InvalidateDocuments(IReadOnlyCollection<DocumentKey> documents)
    {
        if (documents.Count == 0)
        {
            return 0;
        }

        var set = documents as IReadOnlySet<DocumentKey> ?? documents.ToHashSet();
        return RemoveWhere((_, e) => e.Chunks.Any(c => set.Contains(c.Document)));
    }

    /// <summary>Drops every result of the given tenants' collections (a write can change any of them); returns how many.</summary>
    public int InvalidateCollections(IEnumerable<(string Tenant, string Collection)> collections)
    {
        var set = collections.ToHashSet();
        return set.Count == 0 ? 0 : RemoveWhere((p, _) => set.Contains((p.Tenant, p.Collection)));
    }

    /// <summary>Drops every result (the invalidation feed lost track of document versions); returns how many.</summary>
    public int Clear() => RemoveWhere(static (_, _) => true);

    private int RemoveWhere(Func<Partition, Entry, bool> predicate)
    {
        int removed = 0;
        lock (_lock)
        {
            List<string>? empty = null;
            foreach ((string key, Partition p) in _partitions)
            {
                removed += p.Entries.RemoveWhere(static (_, e, s) => s.Predicate(s.Partition, e), (Predicate: predicate, Partition: p));
                if (p.Entries.Count == 0)
                {
                    (empty ??= []).Add(key);
                }
            }

            // A partition with no results left is dropped: idle scopes hold nothing.
            foreach (string key in empty ?? [])
            {
                _partitions.Remove(key);
            }
        }

        return removed;
    }

    private sealed record Entry(string Question, float[] Vector, IReadOnlyList<ChunkMatch> Chunks);

    private sealed class Partition(string tenant, string collection, int capacity)
    {
        public string Tenant { get; } = tenant;

        public string Collection { get; } = collection;

        public BoundedLruCache<string, Entry> Entries { get; } = new(capacity, StringComparer.Ordinal);
    }
}
