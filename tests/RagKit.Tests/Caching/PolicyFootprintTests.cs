using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>
/// A cache per scope (tenant, conversation) is often nearly empty, so a policy must not preallocate to its capacity:
/// with the default 10,000 entries per scope that cost about 480 KB per scope through the chat middleware.
/// </summary>
public sealed class PolicyFootprintTests
{
    public static TheoryData<string> SmallStartPolicies => ["lru", "lfu", "gdsf", "wtinylfu", "wtinylfu-lru-first", "wtinylfu-hill-climber"];

    private static EvictionPolicyFactory Factory(string name) => name switch
    {
        "lru" => EvictionPolicyFactory.Lru,
        "lfu" => EvictionPolicyFactory.Lfu,
        "gdsf" => EvictionPolicyFactory.Gdsf,
        "wtinylfu" => EvictionPolicyFactory.WTinyLfu,
        "wtinylfu-lru-first" => EvictionPolicyFactory.WTinyLfuLruFirst,
        _ => EvictionPolicyFactory.WTinyLfuHillClimber,
    };

    [Theory]
    [MemberData(nameof(SmallStartPolicies))]
    public void Policy_for_a_large_capacity_holding_one_entry_allocates_little(string name)
    {
        EvictionPolicyFactory factory = Factory(name);

        // Warm up generic instantiation and JIT outside the measurement.
        factory.Create<ulong>(new EvictionPolicyContext(10_000, long.MaxValue)).OnInserted(1, new EvictionEntryInfo(100, 1));

        long before = GC.GetAllocatedBytesForCurrentThread();
        IEvictionPolicy<ulong> policy = factory.Create<ulong>(new EvictionPolicyContext(10_000, long.MaxValue));
        policy.OnInserted(42, new EvictionEntryInfo(100, 1));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 4 * 1024, $"{name}: {allocated:N0} bytes for one entry of a 10,000-entry policy");
    }

    [Theory]
    [MemberData(nameof(SmallStartPolicies))]
    public void Policy_grows_past_its_initial_size_and_still_evicts_in_order(string name)
    {
        EvictionPolicyFactory factory = Factory(name);
        IEvictionPolicy<int> policy = factory.Create<int>(new EvictionPolicyContext(10_000, long.MaxValue));
        for (int i = 0; i < 1_000; i++)
        {
            policy.OnInserted(i, new EvictionEntryInfo(1, 1));
        }

        // Entry 0 was inserted first and never read again: every built-in policy gives it up first.
        for (int i = 1; i < 1_000; i++)
        {
            policy.OnAccessed(i);
        }

        Assert.True(policy.TryEvict(out int victim));
        Assert.Equal(0, victim);
    }
}
