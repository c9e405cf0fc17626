using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>
/// The built-in policies hand caches a handle per entry so replayed reads skip the lookup by key. Driving a policy by
/// handle must decide exactly as driving it by key, and a handle the policy forgot must never disturb it.
/// </summary>
public sealed class PolicyHandleTests
{
    private const int Capacity = 64;

    public static TheoryData<string> BuiltIn => new() { "lru", "lfu", "w-tinylfu", "w-tinylfu-lru-first", "gdsf" };

    private static IEvictionPolicy<int> Create(string name) => (name switch
    {
        "lru" => EvictionPolicyFactory.Lru,
        "lfu" => EvictionPolicyFactory.Lfu,
        "w-tinylfu" => EvictionPolicyFactory.WTinyLfu,
        "w-tinylfu-lru-first" => EvictionPolicyFactory.WTinyLfuLruFirst,
        "gdsf" => EvictionPolicyFactory.Gdsf,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    }).Create<int>(new EvictionPolicyContext(Capacity, 40_000));

    /// <summary>A small cache over a policy, driven either by key or by handle.</summary>
    private sealed class Driver(IEvictionPolicy<int> policy, bool byHandle)
    {
        private readonly Dictionary<int, EvictionHandle?> _resident = [];
        private readonly List<EvictionHandle> _forgotten = [];

        public List<int> Victims { get; } = [];

        public int Hits { get; private set; }

        public int Resident => _resident.Count;

        public void Access(int key, EvictionEntryInfo info)
        {
            if (_resident.TryGetValue(key, out EvictionHandle? handle))
            {
                Hits++;
                if (byHandle)
                {
                    ((IHandleEvictionPolicy<int>)policy).OnAccessed(handle!.Value);
                }
                else
                {
                    policy.OnAccessed(key);
                }

                return;
            }

            _resident[key] = byHandle ? ((IHandleEvictionPolicy<int>)policy).Insert(key, info) : Insert(key, info);
            while (_resident.Count > Capacity && policy.TryEvict(out int victim))
            {
                Victims.Add(victim);
                Forget(victim);
            }
        }

        public void Remove(int key)
        {
            if (_resident.ContainsKey(key))
            {
                policy.OnRemoved(key);
                Forget(key);
            }
        }

        /// <summary>Reads of handles the policy has forgotten, as a read buffer may replay them late.</summary>
        public void ReplayForgotten(int count)
        {
            if (!byHandle)
            {
                return; // by key, a read of an absent key; the cache never replays it (its node is marked removed)
            }

            for (int i = Math.Max(0, _forgotten.Count - count); i < _forgotten.Count; i++)
            {
                ((IHandleEvictionPolicy<int>)policy).OnAccessed(_forgotten[i]);
            }
        }

        public List<int> DrainAll()
        {
            var order = new List<int>();
            while (policy.TryEvict(out int victim))
            {
                order.Add(victim);
            }

            return order;
        }

        private EvictionHandle? Insert(int key, EvictionEntryInfo info)
        {
            policy.OnInserted(key, info);
            return null;
        }

        private void Forget(int key)
        {
            if (_resident.Remove(key, out EvictionHandle? handle) && handle is { } h)
            {
                _forgotten.Add(h);
            }
        }
    }

    /// <summary>Skewed keys with a scan and a loop in the middle, some removals and re-inserts, varied sizes and costs.</summary>
    private static IEnumerable<(int Key, bool Remove, EvictionEntryInfo Info)> Trace(int seed)
    {
        var random = new Random(seed);
        for (int n = 0; n < 30_000; n++)
        {
            int key = n is >= 10_000 and < 12_000 ? 100_000 + n // a scan of one-hit wonders
                : n is >= 20_000 and < 24_000 ? 50_000 + (n % 90) // a loop a bit larger than the cache
                : (int)(1_000 * Math.Pow(random.NextDouble(), 3)); // skewed
            bool remove = random.Next(50) == 0;
            yield return (key, remove, new EvictionEntryInfo(1 + (key * 37 % 500), 0.01 + (key % 13 / 10.0)));
        }
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Driving_a_policy_by_handle_evicts_hit_for_hit_as_driving_it_by_key(string name)
    {
        var byKey = new Driver(Create(name), byHandle: false);
        var byHandle = new Driver(Create(name), byHandle: true);
        foreach ((int key, bool remove, EvictionEntryInfo info) in Trace(seed: 7))
        {
            foreach (Driver d in new[] { byKey, byHandle })
            {
                if (remove)
                {
                    d.Remove(key);
                }
                else
                {
                    d.Access(key, info);
                }
            }
        }

        Assert.True(byKey.Victims.Count > 1_000, $"the trace evicts ({byKey.Victims.Count})");
        Assert.True(byKey.Hits > 1_000, $"the trace hits ({byKey.Hits})");
        Assert.Equal(byKey.Hits, byHandle.Hits);
        Assert.Equal(byKey.Victims, byHandle.Victims);
        Assert.Equal(byKey.DrainAll(), byHandle.DrainAll());
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Reads_of_forgotten_handles_leave_the_policy_as_it_was(string name)
    {
        // The same trace twice by handle; one of them also replays reads of every handle the policy has forgotten
        // (evicted, or removed and then re-inserted under the same key) after each step.
        var clean = new Driver(Create(name), byHandle: true);
        var stale = new Driver(Create(name), byHandle: true);
        foreach ((int key, bool remove, EvictionEntryInfo info) in Trace(seed: 11).Take(12_000))
        {
            foreach (Driver d in new[] { clean, stale })
            {
                if (remove)
                {
                    d.Remove(key);
                }
                else
                {
                    d.Access(key, info);
                }
            }

            stale.ReplayForgotten(8);
        }

        Assert.Equal(clean.Hits, stale.Hits);
        Assert.Equal(clean.Victims, stale.Victims);
        List<int> rest = stale.DrainAll();
        Assert.Equal(clean.DrainAll(), rest);
        Assert.Equal(stale.Resident, rest.Count); // every resident key exactly once, no resurrected entry
        Assert.Equal(rest.Count, rest.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void A_handle_left_from_before_a_key_was_removed_and_reinserted_does_not_touch_the_new_entry(string name)
    {
        var policy = (IHandleEvictionPolicy<int>)Create(name);
        var info = new EvictionEntryInfo(10, 1);
        EvictionHandle old = policy.Insert(1, info);
        policy.OnRemoved(1);
        EvictionHandle current = policy.Insert(1, info);
        Assert.NotEqual(old, current);
        for (int k = 2; k <= 4; k++)
        {
            policy.Insert(k, info);
        }

        // Many reads of the stale handle: were it still linked, key 1 (or a ghost of it) would look hot or recent.
        for (int i = 0; i < 100; i++)
        {
            policy.OnAccessed(old);
        }

        var twin = (IHandleEvictionPolicy<int>)Create(name);
        twin.Insert(1, info);
        twin.OnRemoved(1);
        twin.Insert(1, info);
        for (int k = 2; k <= 4; k++)
        {
            twin.Insert(k, info);
        }

        List<int> victims = Victims(policy);

        List<int> twinVictims = Victims(twin);

        Assert.Equal(twinVictims, victims);
        Assert.Equal([1, 2, 3, 4], victims.Order());
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void An_empty_handle_is_ignored(string name)
    {
        var policy = (IHandleEvictionPolicy<int>)Create(name);
        var twin = (IHandleEvictionPolicy<int>)Create(name);
        var info = new EvictionEntryInfo(10, 1);
        for (int k = 1; k <= 3; k++)
        {
            policy.Insert(k, info);
            twin.Insert(k, info);
        }

        policy.OnAccessed(default); // what an entry holds before the policy handed it a handle

        List<int> victims = Victims(policy);

        List<int> twinVictims = Victims(twin);

        Assert.Equal(twinVictims, victims);
        Assert.Equal(3, victims.Count);
    }

    [Fact]
    public void WTinyLfu_ignores_a_stale_handle_whose_slot_now_holds_the_key_again_or_another_key()
    {
        var info = new EvictionEntryInfo(10, 1);
        var context = new EvictionPolicyContext(Capacity, 40_000);
        var policy = new WTinyLfuPolicy<int>(context);
        var twin = new WTinyLfuPolicy<int>(context);
        foreach (WTinyLfuPolicy<int> p in new[] { policy, twin })
        {
            for (int k = 1; k <= 20; k++)
            {
                p.Insert(k, info);
            }
        }

        // Key 5 removed and re-inserted lands in the slot it left, with a new generation.
        EvictionHandle old = policy.Insert(5, info);
        policy.OnRemoved(5);
        EvictionHandle current = policy.Insert(5, info);
        twin.Insert(5, info);
        twin.OnRemoved(5);
        twin.Insert(5, info);
        Assert.Equal(old.Slot, current.Slot);
        Assert.NotEqual(old.Generation, current.Generation);

        // Key 7 removed, its slot taken by key 100: the old handle of 7 must not touch 100.
        EvictionHandle seven = policy.Insert(7, info);
        policy.OnRemoved(7);
        EvictionHandle hundred = policy.Insert(100, info);
        twin.Insert(7, info);
        twin.OnRemoved(7);
        twin.Insert(100, info);
        Assert.Equal(seven.Slot, hundred.Slot);

        // Many replays of both stale handles: were either still live, 5 or 100 would look hot and recent, and the
        // sketch, duel and ghosts would count the reads.
        for (int i = 0; i < 200; i++)
        {
            policy.OnAccessed(old);
            policy.OnAccessed(seven);
        }

        // Then the same trace on both, with evictions, reading 5 through its live handle on one and by key on the other.
        for (int n = 0; n < 2_000; n++)
        {
            int key = 200 + (n * 7919 % 300);
            policy.Insert(key, info);
            twin.Insert(key, info);
            policy.OnAccessed(current);
            twin.OnAccessed(5);
            if (n % 2 == 0)
            {
                Assert.True(policy.TryEvict(out int v));
                Assert.True(twin.TryEvict(out int w));
                Assert.Equal(w, v);
            }

            Assert.Equal(twin.WindowFraction, policy.WindowFraction);
        }

        List<int> victims = Victims(policy);

        List<int> twinVictims = Victims(twin);

        Assert.Equal(twinVictims, victims);
        Assert.Equal(victims.Count, victims.Distinct().Count());
    }

    [Fact]
    public void WTinyLfu_grows_its_slot_arrays_past_the_capacity_hint_and_decides_as_by_key()
    {
        // Capacity 16 (arrays for about 20 slots) while 500 entries are held before any eviction.
        var info = new EvictionEntryInfo(1, 1);
        var context = new EvictionPolicyContext(16, 1 << 20);
        var byHandle = new WTinyLfuPolicy<int>(context);
        var byKey = new WTinyLfuPolicy<int>(context);
        var handles = new Dictionary<int, EvictionHandle>();
        for (int k = 0; k < 500; k++)
        {
            handles[k] = byHandle.Insert(k, info);
            byKey.OnInserted(k, info);
        }

        var random = new Random(5);
        for (int n = 0; n < 5_000; n++)
        {
            int key = (int)(500 * Math.Pow(random.NextDouble(), 2));
            if (handles.TryGetValue(key, out EvictionHandle handle))
            {
                byHandle.OnAccessed(handle);
                byKey.OnAccessed(key);
            }

            if (n % 10 == 0 && byHandle.TryEvict(out int victim))
            {
                Assert.True(byKey.TryEvict(out int other));
                Assert.Equal(other, victim);
                handles.Remove(victim);
            }
        }

        List<int> rest = Victims(byHandle);

        List<int> restByKey = Victims(byKey);

        Assert.Equal(restByKey, rest);
        Assert.Equal(handles.Keys.Order(), rest.Order());
    }

    [Fact]
    public void Lru_evicts_as_a_reference_linked_list_LRU_and_grows_past_its_capacity_hint()
    {
        // The policy is created with a hint of 16 entries but holds up to 300: its slot arrays must grow.
        var policy = (IHandleEvictionPolicy<int>)EvictionPolicyFactory.Lru.Create<int>(new EvictionPolicyContext(16, 1 << 20));
        var order = new LinkedList<int>();
        var where = new Dictionary<int, LinkedListNode<int>>();
        var handles = new Dictionary<int, EvictionHandle>();
        var random = new Random(3);
        var info = new EvictionEntryInfo(1, 1);
        for (int n = 0; n < 20_000; n++)
        {
            int key = (int)(600 * Math.Pow(random.NextDouble(), 2));
            if (where.TryGetValue(key, out LinkedListNode<int>? node))
            {
                if (random.Next(10) == 0)
                {
                    policy.OnRemoved(key);
                    handles.Remove(key);
                    order.Remove(node);
                    where.Remove(key);
                    continue;
                }

                policy.OnAccessed(handles[key]);
                order.Remove(node);
                order.AddFirst(node);
                continue;
            }

            handles[key] = policy.Insert(key, info);
            where[key] = order.AddFirst(key);
            if (order.Count > 300)
            {
                Assert.True(policy.TryEvict(out int victim));
                Assert.Equal(order.Last!.Value, victim);
                where.Remove(victim);
                handles.Remove(victim);
                order.RemoveLast();
            }
        }

        Assert.Equal(300, order.Count);
        Assert.Equal(order.Reverse(), Victims(policy));
    }

    /// <summary>Evicts until the policy tracks nothing; the victims in order.</summary>
    private static List<int> Victims(IEvictionPolicy<int> policy)
    {
        var victims = new List<int>();
        while (policy.TryEvict(out int v))
        {
            victims.Add(v);
        }

        return victims;
    }
}
