using RagKit.Caching;
using RagKit.Providers;
using RagKit.Retrieval;

namespace RagKit.Tests.Caching;

/// <summary>Per-scope structures start small and grow without changing any decision.</summary>
public sealed class LazyStructureTests
{
    [Theory]
    [InlineData(10_000, 1)]
    [InlineData(100, 2)]
    [InlineData(16, 3)]
    public void Sketch_that_logs_then_replays_answers_as_one_allocated_from_the_start(int capacity, int seed)
    {
        var lazy = new FrequencySketch(capacity, 8, 16, 1024, 10_000);
        var eager = new FrequencySketch(capacity, 8, 16, 1024, 10_000);
        eager.Frequency(0); // allocates the table now: nothing is logged
        Assert.True(eager.IsAllocated);
        Assert.False(lazy.IsAllocated);

        var rng = new Random(seed);
        int keys = capacity * 3;
        for (int i = 0; i < 200_000; i++)
        {
            int hash = rng.Next(keys) * 31;
            lazy.Increment(hash);
            eager.Increment(hash);
            if (i % 997 == 0)
            {
                // Asking a frequency allocates the lazy table (replaying the log): from then on the two are the same object model.
                int probe = rng.Next(keys) * 31;
                Assert.Equal(eager.Frequency(probe), lazy.Frequency(probe));
            }
        }

        for (int k = 0; k < keys; k++)
        {
            Assert.Equal(eager.Frequency(k * 31), lazy.Frequency(k * 31));
        }
    }

    [Fact]
    public void Sketch_allocates_once_its_log_would_outgrow_the_table_and_replays_exactly()
    {
        var lazy = new FrequencySketch(10_000, 8, 16, 1024, 10_000);
        var eager = new FrequencySketch(10_000, 8, 16, 1024, 10_000);
        eager.Frequency(0);
        var rng = new Random(7);
        int[] hashes = new int[100_000];
        for (int i = 0; i < hashes.Length; i++)
        {
            hashes[i] = rng.Next(5_000);
            lazy.Increment(hashes[i]);
            eager.Increment(hashes[i]);
        }

        // 100,000 additions: past the log's limit and past the sample size (resets), never asked for a frequency.
        Assert.True(lazy.IsAllocated);
        for (int h = 0; h < 5_000; h++)
        {
            Assert.Equal(eager.Frequency(h), lazy.Frequency(h));
        }
    }

    [Theory]
    [InlineData("wtinylfu")]
    [InlineData("wtinylfu-lru-first")]
    [InlineData("wtinylfu-hill-climber")]
    public void WTinyLfu_for_a_large_capacity_holding_a_few_entries_stays_small(string name)
    {
        EvictionPolicyFactory factory = name switch
        {
            "wtinylfu" => EvictionPolicyFactory.WTinyLfu,
            "wtinylfu-lru-first" => EvictionPolicyFactory.WTinyLfuLruFirst,
            _ => EvictionPolicyFactory.WTinyLfuHillClimber,
        };
        factory.Create<ulong>(new EvictionPolicyContext(10_000, long.MaxValue)).OnInserted(1, new EvictionEntryInfo(100, 1));

        long before = GC.GetAllocatedBytesForCurrentThread();
        IEvictionPolicy<ulong> policy = factory.Create<ulong>(new EvictionPolicyContext(10_000, long.MaxValue));
        for (ulong k = 0; k < 10; k++)
        {
            policy.OnInserted(k, new EvictionEntryInfo(100, 1));
            policy.OnAccessed(k);
            policy.OnAccessed(k);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 * 1024, $"{name}: {allocated:N0} bytes for ten entries of a 10,000-entry policy");
    }

    [Fact]
    public void BoundedLruCache_evicts_the_least_recently_used_and_lists_most_recent_first()
    {
        var cache = new BoundedLruCache<string, int>(3, StringComparer.Ordinal);
        cache.Set("a", 1);
        cache.Set("b", 2);
        cache.Set("c", 3);
        Assert.True(cache.TryGet("a", out int a));
        Assert.Equal(1, a);
        cache.Set("d", 4); // b is the least recently used

        Assert.False(cache.TryGet("b", out _));
        Assert.Equal(["d", "a", "c"], cache.MostRecentFirst().Select(e => e.Key));
        cache.Set("c", 30); // replacing makes it the most recent
        Assert.Equal([("c", 30), ("d", 4), ("a", 1)], cache.MostRecentFirst().Select(e => (e.Key, e.Value)));
        Assert.True(cache.Remove("d"));
        Assert.False(cache.Remove("d"));
        Assert.Equal(1, cache.RemoveWhere(static (_, v, limit) => v > limit, 10));
        Assert.Equal(["a"], cache.MostRecentFirst().Select(e => e.Key));
        for (int i = 0; i < 100; i++)
        {
            cache.Set($"k{i}", i);
        }

        Assert.Equal(3, cache.Count);
        Assert.Equal(["k99", "k98", "k97"], cache.MostRecentFirst().Select(e => e.Key));
    }

    [Fact]
    public void Retrieval_cache_keeps_lru_order_and_drops_a_partition_once_its_results_are_gone()
    {
        var cache = new RetrievalResultCache(2, 0.9f);
        ChunkMatch[] Chunks(string doc) => [new ChunkMatch(new DocumentKey("t", "c", doc), doc + "-1", "text", 0.8f, 1)];
        cache.Store("p1", "t", "c", "first", [1, 0], Chunks("d1"));
        cache.Store("p1", "t", "c", "second", [1, 0], Chunks("d2"));

        // Equal similarity: the less recently used result serves (as with the former linked list); it becomes the most recent.
        Assert.Equal("d1", cache.Find("p1", "third", [1, 0], out float similarity)![0].Document.DocumentId);
        Assert.Equal(1f, similarity, 3);
        cache.Store("p1", "t", "c", "third", [0, 1], Chunks("d3")); // evicts "second", the least recently used
        Assert.Null(cache.Find("p1", "second", [0.5f, -1], out _));
        Assert.NotNull(cache.Find("p1", "first", [0, 0], out similarity));
        Assert.Equal(1f, similarity);

        cache.Store("p2", "t2", "c", "other", [1, 0], Chunks("d9"));
        Assert.Equal(2, cache.PartitionCount);
        Assert.Equal(2, cache.InvalidateCollections([("t", "c")]));
        Assert.Equal(1, cache.PartitionCount);
        Assert.Equal(1, cache.InvalidateDocuments([new DocumentKey("t", "c", "d9")]));
        Assert.Equal(0, cache.PartitionCount);
    }
}
