using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// GreedyDual-Size-Frequency, and LFU with dynamic aging as its unit-weight special case:
/// priority = clock + frequency × cost / size, where clock is the priority of the last victim (the aging term).
/// </summary>
/// <remarks>
/// A hit only bumps the entry's frequency and stamps the current clock (O(1), no allocation). Priorities only grow,
/// so the heap is updated lazily: an entry popped with a stale priority is pushed back with its current one.
/// </remarks>
internal sealed class GreedyDualPolicy<TKey> : IHandleEvictionPolicy<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Node> _nodes;
    private readonly PriorityQueue<Node, (double Priority, long Sequence)> _heap;
    private readonly bool _useCostAndSize;
    private double _clock;
    private long _sequence;

    public GreedyDualPolicy(int capacityHint, bool useCostAndSize)
    {
        // Start small and grow on demand: a cache per scope is often nearly empty.
        int hint = Math.Clamp(capacityHint, 1, 4);
        _nodes = new Dictionary<TKey, Node>(hint);
        _heap = new PriorityQueue<Node, (double, long)>(hint);
        _useCostAndSize = useCostAndSize;
    }

    /// <summary>The current aging clock (priority of the last victim).</summary>
    internal double Clock => _clock;

    public void OnInserted(TKey key, EvictionEntryInfo info) => Insert(key, info);

    public EvictionHandle Insert(TKey key, EvictionEntryInfo info)
    {
        if (_nodes.TryGetValue(key, out Node? existing))
        {
            existing.Weight = Weight(info);
            Touch(existing);
            return new EvictionHandle(existing);
        }

        var node = new Node(key) { Weight = Weight(info), Frequency = 1, Base = _clock };
        _nodes[key] = node;
        Enqueue(node);
        if (_heap.Count > (2 * _nodes.Count) + 64)
        {
            Compact();
        }

        return new EvictionHandle(node);
    }

    public void OnAccessed(TKey key)
    {
        if (_nodes.TryGetValue(key, out Node? node))
        {
            Touch(node);
        }
    }

    public void OnAccessed(EvictionHandle handle)
    {
        if (handle.Node is Node { Removed: false } node)
        {
            Touch(node);
        }
    }

    public void OnRemoved(TKey key)
    {
        if (_nodes.Remove(key, out Node? node))
        {
            node.Removed = true;
        }
    }

    public bool TryEvict([MaybeNullWhen(false)] out TKey victim)
    {
        while (_heap.TryDequeue(out Node? node, out (double Priority, long Sequence) queued))
        {
            if (node.Removed || node.Queued != queued.Sequence)
            {
                continue;
            }

            double current = node.Priority;
            if (current > queued.Priority)
            {
                Enqueue(node);
                continue;
            }

            _clock = Math.Max(_clock, current);
            _nodes.Remove(node.Key);
            node.Removed = true;
            victim = node.Key;
            return true;
        }

        victim = default;
        return false;
    }

    private void Touch(Node node)
    {
        if (node.Frequency < int.MaxValue)
        {
            node.Frequency++;
        }

        node.Base = _clock;
    }

    private double Weight(EvictionEntryInfo info) =>
        _useCostAndSize ? Math.Max(info.Cost, 1e-6) / Math.Max(info.SizeBytes, 1) : 1.0;

    private void Enqueue(Node node)
    {
        node.Queued = ++_sequence;
        _heap.Enqueue(node, (node.Priority, node.Queued));
    }

    private void Compact()
    {
        _heap.Clear();
        foreach (Node node in _nodes.Values)
        {
            Enqueue(node);
        }
    }

    private sealed class Node(TKey key)
    {
        public TKey Key { get; } = key;

        public double Weight { get; set; }

        public int Frequency { get; set; }

        public double Base { get; set; }

        public long Queued { get; set; }

        public bool Removed { get; set; }

        public double Priority => Base + (Frequency * Weight);
    }
}
