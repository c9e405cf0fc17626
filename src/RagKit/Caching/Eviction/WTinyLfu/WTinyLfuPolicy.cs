using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// Window TinyLFU as in Caffeine: new entries enter an LRU window; an entry leaving the window must beat the main
/// region's victim on estimated frequency (count-min sketch with doorkeeper and aging) to be admitted into a
/// segmented LRU (probation 20 %, protected 80 %). The window's share (1 % at start, up to 100 %) is tuned ARC-style
/// by ghosts: a miss on a key the window side evicted recently grows the window, a miss on a key the main region
/// evicted recently shrinks it. A warm candidate that loses admission still gets in at a 1/128 chance (as Caffeine).
/// The hill climber on the hit rate is kept as an option (<see cref="WTinyLfuSettings.Adaptive"/>).
/// </summary>
internal sealed class WTinyLfuPolicy<TKey> : IHandleEvictionPolicy<TKey>
    where TKey : notnull
{
    private const byte Window = 0;
    private const byte Probation = 1;
    private const byte Protected = 2;
    private const byte GhostWindow = 0;
    private const byte GhostMain = 1;

    // Slots 0-2 are the sentinels of the window, probation and protected lists (slot = queue); entries start at 3.
    private const int FirstSlot = 3;

    private readonly Dictionary<TKey, int> _slotOf;
    private readonly IEqualityComparer<TKey> _comparer = EqualityComparer<TKey>.Default;
    private readonly FrequencySketch _sketch;

    // Entries in arrays indexed by slot (no node objects, so a list move is int stores with no GC write barriers):
    // what a hit touches (links, hash, queue, generation) together in one struct per slot, the rest apart.
    private Slot[] _slots;
    private TKey[] _keys;
    private long[] _sizes;
    private long[] _movedAt;
    private int _used = FirstSlot; // slots handed out so far
    private int _free = -1; // free list through Slot.Next
    private readonly bool _adaptive;
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

    // Ghosts: hashes of recently evicted keys and which side evicted them (window-side candidate or main victim),
    // in a fixed, direct-mapped table (a collision overwrites; approximate by design, allocation-free). The tables are
    // allocated at the first eviction: before it no key can be a ghost, so a cache that never fills never needs them.
    private readonly bool _ghosts;
    private int[] _ghostHash = [];
    private long[] _ghostStamp = [];
    private readonly int _ghostMask;
    private readonly long _ghostReach;
    private readonly long _mainGhostReach;
    private readonly double _ghostDelta;
    private long _evictions;
    private long _windowGhosts;
    private long _mainGhosts;
    private byte[] _recentSides = [];
    private uint _random = 0x9E3779B9u;
    private int _ghostRun;
    private byte _ghostRunSide;

    // Start-up duel: a shadow LRU over the hashes of sampled keys (arrays and a linear-probing index that grow with the
    // shadow's entries up to its capacity: the shadow's decisions do not depend on the arrays' or the table's size).
    // Nodes 0-2 are the sentinels of the shadow's window, probation and protected lists (node = queue); entries start at 3.
    private long _duelLeft;
    private long _duelCheckLeft;
    private readonly uint _duelSampleMask;
    private readonly int _duelSampleShift;
    private long _duelCheckEvery;
    private readonly long _forwardCheckEvery;
    private readonly long _forwardLength;
    private const int FirstShadowNode = 3;
    private const int InitialShadowNodes = 4;
    private int[] _shadowHash = [];
    private int[] _shadowPrev = [];
    private int[] _shadowNext = [];
    private byte[] _shadowQueue = [];
    private int[] _shadowTable = [];
    private int _shadowTableMask;
    private readonly int _shadowTableMax;
    private readonly int _shadowCapacity;
    private int _shadowCount;
    private int _shadowFree = -1;
    private int _shadowWindowCount;
    private int _shadowProtectedCount;
    private int _shadowWindowMax;
    private int _shadowProtectedMax;
    private bool _reversing;
    private long _shadowHits;
    private long _realHits;
    private bool _duelJumped;
    private int _returnRun;
    private double _windowBeforeJump;

    public WTinyLfuPolicy(EvictionPolicyContext context, WTinyLfuSettings? settings = null)
    {
        _settings = settings ?? WTinyLfuSettings.Default;
        _maxEntries = Math.Max(1, context.MaxEntries);
        _maxBytes = Math.Max(1, context.MaxBytes);
        // Entry slots start small and double on demand (a cache per scope is often nearly empty).
        int hint = (int)Math.Min(_maxEntries, 4);
        _slotOf = new Dictionary<TKey, int>(hint);
        _slots = new Slot[hint + FirstSlot + 1];
        _keys = new TKey[_slots.Length];
        _sizes = new long[_slots.Length];
        _movedAt = new long[_slots.Length];
        for (int sentinel = 0; sentinel < FirstSlot; sentinel++)
        {
            _slots[sentinel].Prev = sentinel;
            _slots[sentinel].Next = sentinel;
        }

        int capacity = (int)Math.Min(_maxEntries, 1 << 24);
        _sketch = new FrequencySketch(capacity, _settings.WidthFactor, _settings.SampleFactor, _settings.MinWidth, _settings.MinSample);
        _sampleSize = (int)Math.Min(Math.Max(_maxEntries * _settings.ClimberSampleFactor, _settings.ClimberMinSample), int.MaxValue);
        _windowFraction = _settings.InitialWindow;
        _adaptive = _settings.Adaptive;
        _stepSize = _settings.Step * _settings.InitialDirection;
        if (_settings.GhostEntries > 0)
        {
            _ghosts = true;
            _ghostReach = Math.Max(1, (long)(capacity * _settings.GhostReach));
            _mainGhostReach = _settings.MainGhostReach > 0 ? Math.Max(1, (long)(capacity * _settings.MainGhostReach)) : _ghostReach;
            int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Math.Max(_ghostReach, _mainGhostReach) * 2, 16, 1 << 24));
            _ghostMask = size - 1;
            _ghostDelta = _settings.GhostEntries / _maxEntries;
        }

        if (_settings.DuelLength > 0)
        {
            // SHARDS-style spatial sampling: keys whose mixed hash has its low `shift` bits zero, shadow = capacity / 2^shift.
            int shift = 0;
            while ((capacity >> (shift + 1)) >= _settings.DuelMinShadow)
            {
                shift++;
            }

            _duelSampleShift = shift;
            _duelSampleMask = (1u << shift) - 1;
            _shadowCapacity = Math.Max(1, capacity >> shift);
            // Three list sentinels, then up to capacity + 1 nodes (one spare: a new hash goes in before the shadow
            // evicts); the node arrays start small and double.
            int nodes = FirstShadowNode + Math.Min(_shadowCapacity + 1, InitialShadowNodes);
            _shadowHash = new int[nodes];
            _shadowPrev = new int[nodes];
            _shadowNext = new int[nodes];
            _shadowQueue = new byte[nodes];
            for (int q = 0; q < 3; q++)
            {
                _shadowPrev[q] = q;
                _shadowNext[q] = q;
            }

            // The table keeps its load at most a half; it doubles with the shadow's count up to this size.
            _shadowTableMax = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, _shadowCapacity * 2));
            _shadowTable = new int[Math.Min(_shadowTableMax, 2 * InitialShadowNodes)];
            _shadowTableMask = _shadowTable.Length - 1;
            _duelLeft = Math.Max(1, (long)(capacity * _settings.DuelLength));
            _duelCheckEvery = Math.Max(1, (long)(capacity * _settings.DuelCheckEvery));
            _forwardCheckEvery = _duelCheckEvery;
            SetShadowWindow(1.0);
            if (_settings.ReverseDuel)
            {
                // Start as LRU (the whole cache is window); the shadow plays the small-window policy.
                _reversing = true;
                _windowFraction = _settings.ReverseStartWindow;
                _duelCheckEvery = Math.Max(1, (long)(capacity * _settings.ReverseCheckEvery));
                _duelLeft = Math.Max(1, (long)(capacity * _settings.ReverseLength));
                _forwardLength = Math.Max(1, (long)(capacity * _settings.DuelLength));
                SetShadowWindow(HandOverWindow);
            }

            _duelCheckLeft = _duelCheckEvery;
        }
    }

    // The share the reverse duel's shadow plays and hands over to (the initial window unless set).
    private double HandOverWindow => _settings.ReverseShadowWindow > 0 ? _settings.ReverseShadowWindow : _settings.InitialWindow;

    private static int ShadowSentinel(byte queue) => queue;

    private void SetShadowWindow(double fraction)
    {
        _shadowWindowMax = Math.Max(1, (int)(_shadowCapacity * fraction));
        _shadowProtectedMax = Math.Max(1, (int)(0.8 * (_shadowCapacity - _shadowWindowMax)));
    }

    /// <summary>The window's current share of the capacity (moved by ghost hits, or by the hill climber).</summary>
    internal double WindowFraction => _windowFraction;

    public void OnInserted(TKey key, EvictionEntryInfo info) => Insert(key, info);

    public EvictionHandle Insert(TKey key, EvictionEntryInfo info)
    {
        int hash = _comparer.GetHashCode(key);
        _sketch.Increment(hash);
        if (_adaptive)
        {
            Climb(hit: false);
        }

        if (_duelLeft > 0)
        {
            Duel(hash, realHit: false);
        }

        if (_ghostHash.Length != 0)
        {
            // No table before the first eviction, and no key is a ghost before it.
            OnGhostHit(hash);
        }

        long size = Math.Max(0, info.SizeBytes);
        if (_slotOf.TryGetValue(key, out int existing))
        {
            Unlink(existing);
            _totalBytes += size - _sizes[existing];
            _sizes[existing] = size;
            LinkFront(Window, existing);
            return new EvictionHandle(null, existing, _slots[existing].Generation);
        }

        int slot = NewSlot();
        _keys[slot] = key;
        _slots[slot].Hash = hash;
        _sizes[slot] = size;
        _movedAt[slot] = 0;
        _slotOf[key] = slot;
        _totalBytes += size;
        LinkFront(Window, slot);
        if (_slotOf.Count >= _maxEntries || _totalBytes >= _maxBytes)
        {
            // Full: the next insert evicts and asks frequencies. Allocating here, on an insert, keeps a full cache's
            // hits free of allocation.
            _sketch.EnsureAllocated();
        }

        return new EvictionHandle(null, slot, _slots[slot].Generation);
    }

    public void OnAccessed(TKey key)
    {
        if (_slotOf.TryGetValue(key, out int slot))
        {
            Access(slot);
        }
    }

    public void OnAccessed(EvictionHandle handle)
    {
        // A forgotten entry (evicted or removed) bumped its slot's generation: its reads are ignored, as a read of an
        // absent key, even once the slot is reused. Sentinel slots and the empty handle are never entries.
        int slot = handle.Slot;
        Slot[] slots = _slots;
        if (slot >= FirstSlot && slot < slots.Length && slots[slot].Generation == handle.Generation)
        {
            Access(slot);
        }
    }

    private void Access(int slot)
    {
        int hash = _slots[slot].Hash;
        _sketch.Increment(hash);
        if (_adaptive)
        {
            Climb(hit: true);
        }

        if (_duelLeft > 0)
        {
            Duel(hash, realHit: true);
        }

        switch (_slots[slot].Queue)
        {
            case Window:
                MoveToFront(Window, slot);
                break;
            case Probation:
                Unlink(slot);
                LinkFront(Protected, slot);
                DemoteOverflow();
                break;
            default:
                MoveToFront(Protected, slot);
                break;
        }
    }

    public void OnRemoved(TKey key)
    {
        if (_slotOf.Remove(key, out int slot))
        {
            Unlink(slot);
            _totalBytes -= _sizes[slot];
            Forget(slot);
        }
    }

    public bool TryEvict([MaybeNullWhen(false)] out TKey victim)
    {
        // As Caffeine: entries beyond the window's share move to probation; the oldest of them is the candidate.
        long epoch = ++_epoch;
        int candidate = -1;
        while (WindowOverflows())
        {
            int moved = _slots[Window].Prev;
            Unlink(moved);
            LinkFront(Probation, moved);
            _movedAt[moved] = epoch;
            if (candidate < 0)
            {
                candidate = moved;
            }
        }

        int evicted;
        if (candidate >= 0)
        {
            // The candidate must beat the main region's victim on estimated frequency to stay.
            int oldestProbation = _slots[Probation].Prev;
            int mainVictim = _movedAt[oldestProbation] != epoch ? oldestProbation : !Empty(Protected) ? _slots[Protected].Prev : -1;
            evicted = mainVictim >= 0 && Admit(candidate, mainVictim) ? mainVictim : candidate;
        }
        else
        {
            evicted = !Empty(Probation) ? _slots[Probation].Prev : !Empty(Protected) ? _slots[Protected].Prev : !Empty(Window) ? _slots[Window].Prev : -1;
        }

        if (evicted < 0)
        {
            victim = default;
            return false;
        }

        if (_ghosts)
        {
            RecordGhost(_slots[evicted].Hash, evicted == candidate || _slots[evicted].Queue == Window ? GhostWindow : GhostMain);
        }

        Unlink(evicted);
        victim = _keys[evicted];
        _slotOf.Remove(victim);
        _totalBytes -= _sizes[evicted];
        Forget(evicted);
        return true;
    }

    private bool Admit(int candidate, int victim)
    {
        int candidateFrequency = _sketch.Frequency(_slots[candidate].Hash);
        int victimFrequency = _sketch.Frequency(_slots[victim].Hash);
        if (candidateFrequency + _settings.AdmitSlack > victimFrequency)
        {
            return true;
        }

        if (_settings.RandomAdmitThreshold <= 0 || candidateFrequency < _settings.RandomAdmitThreshold)
        {
            return false;
        }

        // As Caffeine: a warm candidate that lost still gets in at a 1/128 chance (deterministic xorshift here).
        _random ^= _random << 13;
        _random ^= _random >> 17;
        _random ^= _random << 5;
        return (_random & 127) == 0;
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
            int demoted = _slots[Protected].Prev;
            Unlink(demoted);
            LinkFront(Probation, demoted);
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
        _stepSize = Math.Abs(change) >= _settings.RestartThreshold ? _settings.Step * (amount >= 0 ? 1 : -1) : _settings.StepDecay * amount;
        if (_settings.Adaptive)
        {
            _windowFraction = Math.Clamp(_windowFraction + amount, 0.0, _settings.MaxWindow);
        }

        _previousHitRate = hitRate;
        _hits = 0;
        _misses = 0;
    }

    private void RecordGhost(int hash, byte side)
    {
        if (_ghostHash.Length == 0)
        {
            _ghostHash = new int[_ghostMask + 1];
            _ghostStamp = new long[_ghostMask + 1];
            _recentSides = _settings.GhostRecentRatio ? new byte[_ghostReach] : [];
        }

        int i = GhostIndex(hash);
        _ghostHash[i] = hash;
        _ghostStamp[i] = (++_evictions << 1) | side;
        if (_recentSides.Length != 0)
        {
            // Count only the last `reach` evictions (ARC's ghost-list sizes): forget the one falling out.
            int slot = (int)(_evictions % _recentSides.Length);
            if (_evictions > _recentSides.Length)
            {
                if (_recentSides[slot] == GhostWindow)
                {
                    _windowGhosts--;
                }
                else
                {
                    _mainGhosts--;
                }
            }

            _recentSides[slot] = side;
        }

        if (side == GhostWindow)
        {
            _windowGhosts++;
        }
        else
        {
            _mainGhosts++;
        }
    }

    // A miss on a key the window side evicted recently: a larger window would have hit, so grow it (ARC's rule);
    // a miss on a key the main region evicted: a larger main region would have hit, so shrink the window.
    private void OnGhostHit(int hash)
    {
        int i = GhostIndex(hash);
        long stamp = _ghostStamp[i];
        byte side = (byte)(stamp & 1);
        if (stamp == 0 || _ghostHash[i] != hash || _evictions - (stamp >> 1) >= (side == GhostWindow ? _ghostReach : _mainGhostReach))
        {
            return;
        }

        _ghostStamp[i] = 0;
        double delta = _ghostDelta;
        if (_settings.GhostMomentum > 0)
        {
            // A run of ghost hits on the same side speeds the move up (linearly in the run length).
            _ghostRun = side == _ghostRunSide ? _ghostRun + 1 : 0;
            _ghostRunSide = side;
            delta *= 1 + (_ghostRun / _settings.GhostMomentum);
        }
        if (_settings.GhostRecentRatio)
        {
            // As ARC: weigh a hit by how much rarer its side's ghosts are.
            double ratio = side == GhostWindow ? (double)_mainGhosts / Math.Max(1, _windowGhosts) : (double)_windowGhosts / Math.Max(1, _mainGhosts);
            delta *= Math.Max(1, ratio);
        }

        if (side == GhostWindow)
        {
            if (_settings.GrowSlack >= 0 && !Empty(Probation)
                && _sketch.Frequency(hash) + _settings.GrowSlack < _sketch.Frequency(_slots[_slots[Probation].Prev].Hash))
            {
                // The returning key is still rarer than what the main region keeps: the admission filter was right
                // to prefer frequency, so this is no evidence for a larger window.
                return;
            }

            _windowFraction = Math.Min(_windowFraction + delta, _settings.MaxWindow);
        }
        else if (_settings.GhostShrink)
        {
            _windowFraction = Math.Max(_windowFraction - delta, 0.0);
        }
    }

    // Start-up duel: replay the sampled keys through a shadow LRU and compare its hits with the policy's own on the
    // same keys; if plain LRU is clearly ahead, recency wins this workload, so hand the window (almost) everything.
    private void Duel(int hash, bool realHit)
    {
        uint mixed = Mix(hash);
        if ((mixed & _duelSampleMask) == 0)
        {
            if (realHit)
            {
                _realHits++;
            }

            ShadowAccess(hash, mixed >> _duelSampleShift);
        }

        _duelLeft--;
        if (--_duelCheckLeft > 0 && _duelLeft > 0)
        {
            return;
        }

        _duelCheckLeft = _duelCheckEvery;
        if (_totalBytes >= _maxBytes - (_maxBytes >> 3) && _slotOf.Count < _maxEntries - (_maxEntries >> 3))
        {
            // The byte budget, not the entry count, bounds this cache: the shadow LRU counts entries, so the two are
            // not comparable. The duel ends and any jump is undone.
            if (_duelJumped)
            {
                _windowFraction = Math.Min(_windowFraction, _windowBeforeJump);
            }

            if (_reversing)
            {
                _windowFraction = _settings.InitialWindow;
                _reversing = false;
            }

            _duelLeft = 0;
            return;
        }

        if (_reversing)
        {
            // Reverse duel: the policy is LRU-like; once the small-window shadow clearly beats it on the sampled keys,
            // frequency pays on this workload, so the window goes back to the small share (the ghosts tune it on).
            if (Leads(_shadowHits, _realHits, _settings.ReverseMargin, _settings.ReverseZ, _settings.ReverseMinLead))
            {
                _windowFraction = HandOverWindow;
                _reversing = false;
                _shadowHits = 0;
                _realHits = 0;
                if (_settings.ReverseThenForward)
                {
                    // The shadow becomes the LRU of the forward duel: all its entries join one recency list.
                    ShadowToLru();
                    _duelCheckEvery = _forwardCheckEvery;
                    _duelLeft = _forwardLength;
                    _duelCheckLeft = _duelCheckEvery;
                }
                else
                {
                    _duelLeft = 0;
                }
            }

            return;
        }

        if (_duelJumped)
        {
            // After a jump the counts cover one check period each: once the policy clearly beats the shadow LRU
            // (frequency pays again), the window goes back to where the jump found it and the duel ends.
            _returnRun = Leads(_realHits, _shadowHits) ? _returnRun + 1 : 0;
            if (_returnRun >= _settings.DuelReturnPeriods)
            {
                _windowFraction = Math.Min(_windowFraction, _windowBeforeJump);
                _duelLeft = 0;
            }

            if (!_settings.DuelReturnCumulative)
            {
                _shadowHits = 0;
                _realHits = 0;
            }

            return;
        }

        if (Leads(_shadowHits, _realHits))
        {
            _windowBeforeJump = _windowFraction;
            _windowFraction = Math.Max(_windowFraction, _settings.DuelJumpTo);
            if (_settings.DuelReturn && _duelLeft > 0)
            {
                _duelJumped = true;
                _shadowHits = 0;
                _realHits = 0;
            }
            else
            {
                _duelLeft = 0;
            }
        }
    }

    private bool Leads(long a, long b) => Leads(a, b, _settings.DuelMargin, _settings.DuelZ, _settings.DuelMinLead);

    private static bool Leads(long a, long b, double margin, double z, int minLead)
    {
        long lead = a - b;
        return lead >= minLead && lead > margin * b && (z <= 0 || lead > z * Math.Sqrt(a + b));
    }

    private void ShadowToLru()
    {
        int window = ShadowSentinel(Window);
        foreach (byte queue in (ReadOnlySpan<byte>)[Protected, Probation])
        {
            int sentinel = ShadowSentinel(queue);
            while (_shadowNext[sentinel] != sentinel)
            {
                int node = _shadowNext[sentinel];
                ShadowUnlink(node);
                ShadowLinkBack(window, node);
            }
        }

        _shadowWindowCount = _shadowCount;
        _shadowProtectedCount = 0;
        SetShadowWindow(1.0);
    }

    // The shadow is a W-TinyLFU over the sampled hashes with a fixed window (_shadowWindowMax; the whole capacity makes
    // it plain LRU), admission by the shared frequency sketch, in fixed arrays (no allocation per access).
    private void ShadowAccess(int hash, uint mixed)
    {
        int i = (int)mixed & _shadowTableMask;
        while (_shadowTable[i] != 0)
        {
            int node = _shadowTable[i] - 1;
            if (_shadowHash[node] == hash)
            {
                _shadowHits++;
                byte queue = _shadowQueue[node];
                ShadowUnlink(node);
                if (queue == Window)
                {
                    ShadowLinkFront(node, Window);
                }
                else
                {
                    ShadowLinkFront(node, Protected);
                    while (_shadowProtectedCount > _shadowProtectedMax)
                    {
                        int demoted = _shadowPrev[ShadowSentinel(Protected)];
                        ShadowUnlink(demoted);
                        ShadowLinkFront(demoted, Probation);
                    }
                }

                return;
            }

            i = (i + 1) & _shadowTableMask;
        }

        int slot = _shadowFree >= 0 ? _shadowFree : FirstShadowNode + _shadowCount;
        _shadowFree = -1;
        if (slot == _shadowHash.Length)
        {
            GrowShadowNodes();
        }

        _shadowCount++;
        _shadowHash[slot] = hash;
        _shadowTable[i] = slot + 1;
        if (_shadowCount * 2 > _shadowTable.Length && _shadowTable.Length < _shadowTableMax)
        {
            GrowShadowTable();
        }

        ShadowLinkFront(slot, Window);
        if (_shadowCount <= _shadowCapacity)
        {
            return;
        }

        int evicted;
        int probation = ShadowSentinel(Probation);
        int protectedList = ShadowSentinel(Protected);
        if (_shadowWindowCount > _shadowWindowMax)
        {
            // As the policy: the main victim is chosen before the window's overflow (oldest first) moves to probation.
            int victim = _shadowPrev[probation] != probation ? _shadowPrev[probation] : _shadowPrev[protectedList] != protectedList ? _shadowPrev[protectedList] : -1;
            int candidate = _shadowPrev[ShadowSentinel(Window)];
            while (_shadowWindowCount > _shadowWindowMax)
            {
                int moved = _shadowPrev[ShadowSentinel(Window)];
                ShadowUnlink(moved);
                ShadowLinkFront(moved, Probation);
            }

            evicted = victim >= 0 && _sketch.Frequency(_shadowHash[candidate]) > _sketch.Frequency(_shadowHash[victim]) ? victim : candidate;
        }
        else
        {
            evicted = _shadowPrev[probation] != probation ? _shadowPrev[probation]
                : _shadowPrev[protectedList] != protectedList ? _shadowPrev[protectedList] : _shadowPrev[ShadowSentinel(Window)];
        }

        ShadowUnlink(evicted);
        ShadowTableRemove(evicted);
        _shadowCount--;
        _shadowFree = evicted;
    }

    private void GrowShadowNodes()
    {
        int size = Math.Min(_shadowHash.Length * 2, FirstShadowNode + _shadowCapacity + 1);
        Array.Resize(ref _shadowHash, size);
        Array.Resize(ref _shadowPrev, size);
        Array.Resize(ref _shadowNext, size);
        Array.Resize(ref _shadowQueue, size);
    }

    // Re-inserts every node into a table twice the size (lookups find a hash wherever it was probed to, so the shadow's
    // hits and victims are the same as with a table allocated at full size).
    private void GrowShadowTable()
    {
        int[] old = _shadowTable;
        _shadowTable = new int[old.Length * 2];
        _shadowTableMask = _shadowTable.Length - 1;
        foreach (int entry in old)
        {
            if (entry != 0)
            {
                int i = (int)(Mix(_shadowHash[entry - 1]) >> _duelSampleShift) & _shadowTableMask;
                while (_shadowTable[i] != 0)
                {
                    i = (i + 1) & _shadowTableMask;
                }

                _shadowTable[i] = entry;
            }
        }
    }

    // Linear-probing delete with backward shift (no tombstones).
    private void ShadowTableRemove(int node)
    {
        int hash = _shadowHash[node];
        int i = (int)(Mix(hash) >> _duelSampleShift) & _shadowTableMask;
        while (_shadowTable[i] != node + 1)
        {
            i = (i + 1) & _shadowTableMask;
        }

        int j = i;
        while (true)
        {
            j = (j + 1) & _shadowTableMask;
            if (_shadowTable[j] == 0)
            {
                break;
            }

            int home = (int)(Mix(_shadowHash[_shadowTable[j] - 1]) >> _duelSampleShift) & _shadowTableMask;
            // Move j back to i unless its home lies cyclically in (i, j].
            bool stays = i <= j ? home > i && home <= j : home > i || home <= j;
            if (!stays)
            {
                _shadowTable[i] = _shadowTable[j];
                i = j;
            }
        }

        _shadowTable[i] = 0;
    }

    private void ShadowUnlink(int node)
    {
        _shadowNext[_shadowPrev[node]] = _shadowNext[node];
        _shadowPrev[_shadowNext[node]] = _shadowPrev[node];
        if (_shadowQueue[node] == Window)
        {
            _shadowWindowCount--;
        }
        else if (_shadowQueue[node] == Protected)
        {
            _shadowProtectedCount--;
        }
    }

    private void ShadowLinkFront(int node, byte queue)
    {
        int head = ShadowSentinel(queue);
        _shadowQueue[node] = queue;
        _shadowNext[node] = _shadowNext[head];
        _shadowPrev[node] = head;
        _shadowPrev[_shadowNext[head]] = node;
        _shadowNext[head] = node;
        if (queue == Window)
        {
            _shadowWindowCount++;
        }
        else if (queue == Protected)
        {
            _shadowProtectedCount++;
        }
    }

    // Appends at the cold end (ShadowToLru keeps the order: window, then protected, then probation); counts are set by the caller.
    private void ShadowLinkBack(int head, int node)
    {
        _shadowQueue[node] = Window;
        _shadowPrev[node] = _shadowPrev[head];
        _shadowNext[node] = head;
        _shadowNext[_shadowPrev[head]] = node;
        _shadowPrev[head] = node;
    }

    private static uint Mix(int hash)
    {
        uint h = (uint)hash;
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return h;
    }

    private int GhostIndex(int hash) => (int)(((uint)hash * 0x9E3779B9u) >> 8) & _ghostMask;

    private bool Empty(int sentinel) => _slots[sentinel].Next == sentinel;

    // Links the slot at the front (most recent end) of the list whose sentinel is `queue`.
    private void LinkFront(int queue, int slot)
    {
        Slot[] slots = _slots;
        ref Slot head = ref slots[queue];
        ref Slot node = ref slots[slot];
        int first = head.Next;
        node.Queue = (byte)queue;
        node.Next = first;
        node.Prev = queue;
        slots[first].Prev = slot;
        head.Next = slot;
        if (queue == Window)
        {
            _windowCount++;
            _windowBytes += _sizes[slot];
        }
        else if (queue == Protected)
        {
            _protectedCount++;
            _protectedBytes += _sizes[slot];
        }
    }

    private void Unlink(int slot)
    {
        Slot[] slots = _slots;
        ref Slot node = ref slots[slot];
        slots[node.Prev].Next = node.Next;
        slots[node.Next].Prev = node.Prev;
        if (node.Queue == Window)
        {
            _windowCount--;
            _windowBytes -= _sizes[slot];
        }
        else if (node.Queue == Protected)
        {
            _protectedCount--;
            _protectedBytes -= _sizes[slot];
        }
    }

    private void MoveToFront(int queue, int slot)
    {
        Slot[] slots = _slots;
        ref Slot head = ref slots[queue];
        int first = head.Next;
        if (first == slot)
        {
            return;
        }

        ref Slot node = ref slots[slot];
        int prev = node.Prev;
        int next = node.Next;
        slots[prev].Next = next;
        slots[next].Prev = prev;
        node.Next = first;
        node.Prev = queue;
        slots[first].Prev = slot;
        head.Next = slot;
    }

    /// <summary>Frees an unlinked slot; the bumped generation makes every handle to it stale.</summary>
    private void Forget(int slot)
    {
        ref Slot node = ref _slots[slot];
        node.Generation++;
        node.Next = _free;
        _free = slot;
        _keys[slot] = default!;
    }

    private int NewSlot()
    {
        if (_free >= 0)
        {
            int slot = _free;
            _free = _slots[slot].Next;
            return slot;
        }

        if (_used == _slots.Length)
        {
            int size = _slots.Length * 2;
            Array.Resize(ref _slots, size);
            Array.Resize(ref _keys, size);
            Array.Resize(ref _sizes, size);
            Array.Resize(ref _movedAt, size);
        }

        return _used++;
    }

    private struct Slot
    {
        public int Prev;
        public int Next;
        public int Hash;
        public int Generation;
        public byte Queue;
    }
}
