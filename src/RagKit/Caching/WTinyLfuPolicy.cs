using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// Window TinyLFU as in Caffeine: new entries enter a small LRU window; an entry leaving the window must beat the
/// main region's victim on estimated frequency (count-min sketch with doorkeeper and aging) to be admitted into a
/// segmented LRU (probation 20 %, protected 80 %). The window's share is tuned by hill climbing on the hit rate.
/// </summary>
/// <summary>Tuning of <see cref="WTinyLfuPolicy{TKey}"/> (internal: the trace harness sweeps it).</summary>
internal sealed record WTinyLfuSettings(
    double InitialWindow = 0.01,
    int WidthFactor = 8,
    int SampleFactor = 16,
    int MinWidth = 1024,
    int MinSample = 10_000,
    int ClimberSampleFactor = 10,
    double Step = 0.0625,
    double MaxWindow = 0.8,
    bool Adaptive = true,
    double InitialDirection = 1)
{
    public static WTinyLfuSettings Default { get; } = new();
}

internal sealed class WTinyLfuPolicy<TKey> : IEvictionPolicy<TKey>
    where TKey : notnull
{
    private const byte Window = 0;
    private const byte Probation = 1;
    private const byte Protected = 2;
    private const double StepDecay = 0.98;
    private const double RestartThreshold = 0.05;

    private readonly Dictionary<TKey, Node> _nodes;
    private readonly IEqualityComparer<TKey> _comparer = EqualityComparer<TKey>.Default;
    private readonly FrequencySketch _sketch;
    private readonly Node _window = Node.Sentinel();
    private readonly Node _probation = Node.Sentinel();
    private readonly Node _protected = Node.Sentinel();
    private readonly long _maxEntries;
    private readonly long _maxBytes;
    private readonly int _sampleSize;
    private double _windowFraction;
    private long _windowCount;
    private long _windowBytes;
    private long _protectedCount;
    private long _protectedBytes;
    private long _totalBytes;
    private long _epoch;

    // Hill climber state.
    private int _hits;
    private int _misses;
    private double _previousHitRate;
    private double _stepSize;

    private readonly WTinyLfuSettings _settings;

    public WTinyLfuPolicy(EvictionPolicyContext context, WTinyLfuSettings? settings = null)
    {
        _settings = settings ?? WTinyLfuSettings.Default;
        _maxEntries = Math.Max(1, context.MaxEntries);
        _maxBytes = Math.Max(1, context.MaxBytes);
        _nodes = new Dictionary<TKey, Node>((int)Math.Min(_maxEntries, 1 << 16));
        int capacity = (int)Math.Min(_maxEntries, 1 << 24);
        _sketch = new FrequencySketch(capacity, _settings.WidthFactor, _settings.SampleFactor, _settings.MinWidth, _settings.MinSample);
        _sampleSize = (int)Math.Min(Math.Max(_maxEntries * _settings.ClimberSampleFactor, 100), int.MaxValue);
        _windowFraction = _settings.InitialWindow;
        _stepSize = _settings.Step * _settings.InitialDirection;
    }

    /// <summary>The window's current share of the capacity (hill-climbed).</summary>
    internal double WindowFraction => _windowFraction;

    public void OnInserted(TKey key, EvictionEntryInfo info)
    {
        int hash = _comparer.GetHashCode(key);
        _sketch.Increment(hash);
        Climb(hit: false);
        if (_nodes.TryGetValue(key, out Node? existing))
        {
            Unlink(existing);
            _totalBytes += Math.Max(0, info.SizeBytes) - existing.Size;
            existing.Size = Math.Max(0, info.SizeBytes);
            LinkWindow(existing);
            return;
        }

        var node = new Node(key, hash) { Size = Math.Max(0, info.SizeBytes) };
        _nodes[key] = node;
        _totalBytes += node.Size;
        LinkWindow(node);
    }

    public void OnAccessed(TKey key)
    {
        if (!_nodes.TryGetValue(key, out Node? node))
        {
            return;
        }

        _sketch.Increment(node.Hash);
        Climb(hit: true);
        switch (node.Queue)
        {
            case Window:
                MoveToFront(_window, node);
                break;
            case Probation:
                Unlink(node);
                LinkProtected(node);
                DemoteOverflow();
                break;
            default:
                MoveToFront(_protected, node);
                break;
        }
    }

    public void OnRemoved(TKey key)
    {
        if (_nodes.Remove(key, out Node? node))
        {
            Unlink(node);
            _totalBytes -= node.Size;
        }
    }

    public bool TryEvict([MaybeNullWhen(false)] out TKey victim)
    {
        // As Caffeine: entries beyond the window's share move to probation; the oldest of them is the candidate.
        long epoch = ++_epoch;
        Node? candidate = null;
        while (WindowOverflows())
        {
            Node moved = _window.Prev!;
            Unlink(moved);
            LinkFront(_probation, moved, Probation);
            moved.MovedAt = epoch;
            candidate ??= moved;
        }

        Node? evicted;
        if (candidate is not null)
        {
            // The candidate must beat the main region's victim on estimated frequency to stay.
            Node? mainVictim = _probation.Prev!.MovedAt != epoch ? _probation.Prev : !Empty(_protected) ? _protected.Prev : null;
            evicted = mainVictim is not null && _sketch.Frequency(candidate.Hash) > _sketch.Frequency(mainVictim.Hash)
                ? mainVictim
                : candidate;
        }
        else
        {
            evicted = !Empty(_probation) ? _probation.Prev : !Empty(_protected) ? _protected.Prev : !Empty(_window) ? _window.Prev : null;
        }

        if (evicted is null)
        {
            victim = default;
            return false;
        }

        Unlink(evicted);
        _nodes.Remove(evicted.Key);
        _totalBytes -= evicted.Size;
        victim = evicted.Key;
        return true;
    }

    private bool WindowOverflows()
    {
        long maxWindowCount = Math.Max(1, (long)(_maxEntries * _windowFraction));
        long maxWindowBytes = Math.Max(1, (long)(_maxBytes * _windowFraction));
        return _windowCount > maxWindowCount || (_windowBytes > maxWindowBytes && _windowCount > 1);
    }

    private void DemoteOverflow()
    {
        double mainFraction = 0.8 * (1 - _windowFraction);
        long maxCount = Math.Max(1, (long)(_maxEntries * mainFraction));
        long maxBytes = Math.Max(1, (long)(_maxBytes * mainFraction));
        while ((_protectedCount > maxCount || _protectedBytes > maxBytes) && _protectedCount > 1)
        {
            Node demoted = _protected.Prev!;
            Unlink(demoted);
            LinkFront(_probation, demoted, Probation);
        }
    }

    private void Climb(bool hit)
    {
        if (hit)
        {
            _hits++;
        }
        else
        {
            _misses++;
        }

        if (_hits + _misses < _sampleSize)
        {
            return;
        }

        double hitRate = (double)_hits / (_hits + _misses);
        double change = hitRate - _previousHitRate;
        // As Caffeine: keep moving the window in the direction that raised the hit rate, reverse when it fell;
        // the step decays while the hit rate is stable and restarts when it changes a lot.
        double amount = change >= 0 ? _stepSize : -_stepSize;
        _stepSize = Math.Abs(change) >= RestartThreshold ? _settings.Step * (amount >= 0 ? 1 : -1) : StepDecay * amount;
        if (_settings.Adaptive)
        {
            _windowFraction = Math.Clamp(_windowFraction + amount, 0.0, _settings.MaxWindow);
        }

        _previousHitRate = hitRate;
        _hits = 0;
        _misses = 0;
    }

    private static bool Empty(Node sentinel) => sentinel.Next == sentinel;

    private void LinkWindow(Node node) => LinkFront(_window, node, Window);

    private void LinkProtected(Node node) => LinkFront(_protected, node, Protected);

    private void LinkFront(Node sentinel, Node node, byte queue)
    {
        node.Queue = queue;
        node.Next = sentinel.Next;
        node.Prev = sentinel;
        sentinel.Next!.Prev = node;
        sentinel.Next = node;
        if (queue == Window)
        {
            _windowCount++;
            _windowBytes += node.Size;
        }
        else if (queue == Protected)
        {
            _protectedCount++;
            _protectedBytes += node.Size;
        }
    }

    private void Unlink(Node node)
    {
        if (node.Prev is null)
        {
            return;
        }

        node.Prev.Next = node.Next;
        node.Next!.Prev = node.Prev;
        node.Prev = null;
        node.Next = null;
        if (node.Queue == Window)
        {
            _windowCount--;
            _windowBytes -= node.Size;
        }
        else if (node.Queue == Protected)
        {
            _protectedCount--;
            _protectedBytes -= node.Size;
        }
    }

    private static void MoveToFront(Node sentinel, Node node)
    {
        if (sentinel.Next == node)
        {
            return;
        }

        node.Prev!.Next = node.Next;
        node.Next!.Prev = node.Prev;
        node.Next = sentinel.Next;
        node.Prev = sentinel;
        sentinel.Next!.Prev = node;
        sentinel.Next = node;
    }

    private sealed class Node(TKey key, int hash)
    {
        public TKey Key { get; } = key;

        public int Hash { get; } = hash;

        public long Size { get; set; }

        public byte Queue { get; set; }

        public long MovedAt { get; set; }

        public Node? Prev { get; set; }

        public Node? Next { get; set; }

        public static Node Sentinel()
        {
            var s = new Node(default!, 0);
            s.Prev = s;
            s.Next = s;
            return s;
        }
    }
}
