using System.Numerics.Tensors;
using RagKit.Diagnostics;

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
                return _partitions.Values.Sum(p => p.ByQuestion.Count);
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

            if (p.ByQuestion.TryGetValue(question, out LinkedListNode<Entry>? exact))
            {
                p.Order.Remove(exact);
                p.Order.AddFirst(exact);
                similarity = 1f;
                return exact.Value.Chunks;
            }

            LinkedListNode<Entry>? best = null;
            float bestScore = _threshold;
            for (LinkedListNode<Entry>? n = p.Order.First; n is not null; n = n.Next)
            {
                if (n.Value.Vector.Length != vector.Length)
                {
                    continue;
                }

                float s = TensorPrimitives.CosineSimilarity(vector, n.Value.Vector);
                if (s >= bestScore)
                {
                    bestScore = s;
                    best = n;
                }
            }

            if (best is null)
            {
                return null;
            }

            p.Order.Remove(best);
            p.Order.AddFirst(best);
            similarity = bestScore;
            return best.Value.Chunks;
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
                p = new Partition(tenant, collection);
                _partitions[partitionKey] = p;
            }

            if (p.ByQuestion.Remove(question, out LinkedListNode<Entry>? old))
            {
                p.Order.Remove(old);
            }

            p.ByQuestion[question] = p.Order.AddFirst(entry);
            while (p.ByQuestion.Count > _capacityPerScope)
            {
                LinkedListNode<Entry> last = p.Order.Last!;
                p.Order.RemoveLast();
                p.ByQuestion.Remove(last.Value.Question);
            }
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
            foreach (Partition p in _partitions.Values)
            {
                for (LinkedListNode<Entry>? n = p.Order.First; n is not null;)
                {
                    LinkedListNode<Entry>? next = n.Next;
                    if (predicate(p, n.Value))
                    {
                        p.Order.Remove(n);
                        p.ByQuestion.Remove(n.Value.Question);
                        removed++;
                    }

                    n = next;
                }
            }
        }

        return removed;
    }

    private sealed record Entry(string Question, float[] Vector, IReadOnlyList<ChunkMatch> Chunks);

    private sealed class Partition(string tenant, string collection)
    {
        public string Tenant { get; } = tenant;

        public string Collection { get; } = collection;

        public Dictionary<string, LinkedListNode<Entry>> ByQuestion { get; } = new(StringComparer.Ordinal);

        public LinkedList<Entry> Order { get; } = new();
    }
}
