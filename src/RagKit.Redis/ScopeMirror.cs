using Cloud.Unum.USearch;
using RagKit.Caching;
using RagKit.Providers;

namespace RagKit.Redis;

/// <summary>
/// This instance's approximate index over one scope's shared entries (USearch HNSW, int8), kept current from the
/// change stream. It holds only ids and quantized vectors; answers stay in Redis.
/// </summary>
internal sealed class ScopeMirror : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HnswVectorIndex _index;
    private readonly HashSet<ulong> _ids = [];

    // Driven by key through the public policy interface (a Redis round trip dwarfs the policy's own key lookup).
    private readonly IEvictionPolicy<ulong> _policy;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HashSet<ulong>? _tombstones;
    private int _loadState; // 0 not loaded, 1 loading, 2 loaded

    public ScopeMirror(int dimensions, int capacity, EvictionPolicyFactory policy, ScalarKind quantization, int expansionAdd = 64, int expansionSearch = 64)
    {
        _index = new HnswVectorIndex(dimensions, quantization, connectivity: 16, expansionAdd: expansionAdd, expansionSearch: expansionSearch);
        _policy = policy.Create<ulong>(new EvictionPolicyContext(capacity, long.MaxValue));
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ids.Count;
            }
        }
    }

    public bool IsLoaded => Volatile.Read(ref _loadState) == 2;

    /// <summary>Completes when the first load from Redis ended (successfully or not).</summary>
    public Task LoadEnded => _loaded.Task;

    /// <summary>True for the one caller that should load the mirror from Redis now.</summary>
    public bool TryBeginLoad()
    {
        if (Interlocked.CompareExchange(ref _loadState, 1, 0) != 0)
        {
            return false;
        }

        lock (_lock)
        {
            _tombstones = [];
        }

        return true;
    }

    public void EndLoad(bool success)
    {
        lock (_lock)
        {
            _tombstones = null;
        }

        Volatile.Write(ref _loadState, success ? 2 : 0);
        _loaded.TrySetResult();
    }

    public bool Contains(ulong id)
    {
        lock (_lock)
        {
            return _ids.Contains(id);
        }
    }

    public bool Add(ulong id, ReadOnlySpan<float> vector, EvictionEntryInfo info)
    {
        lock (_lock)
        {
            if (_tombstones?.Contains(id) == true || !_ids.Add(id))
            {
                return false;
            }

            _index.Add(id, vector);
            _policy.OnInserted(id, info);
            return true;
        }
    }

    public bool Remove(ulong id)
    {
        lock (_lock)
        {
            _tombstones?.Add(id);
            if (!_ids.Remove(id))
            {
                return false;
            }

            _index.Remove(id);
            _policy.OnRemoved(id);
            return true;
        }
    }

    public void Touch(ulong id)
    {
        lock (_lock)
        {
            if (_ids.Contains(id))
            {
                _policy.OnAccessed(id);
            }
        }
    }

    public List<ulong> ChooseVictims(int count)
    {
        var victims = new List<ulong>();
        lock (_lock)
        {
            while (victims.Count < count && _policy.TryEvict(out ulong victim))
            {
                if (_ids.Remove(victim))
                {
                    _index.Remove(victim);
                    victims.Add(victim);
                }
            }
        }

        return victims;
    }

    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances) => _index.Search(query, keys, distances);

    public void Dispose() => _index.Dispose();
}
