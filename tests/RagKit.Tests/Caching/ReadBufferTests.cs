using Microsoft.Extensions.Time.Testing;
using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>The exact tier records hits in a striped read buffer; these pin down what that may and may not change.</summary>
public sealed class ReadBufferTests
{
    [Fact]
    public void Lru_order_stays_exact_when_one_thread_overflows_the_read_buffer()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cache = new ExactAnswerCache(3, 1 << 20, EvictionPolicyFactory.Lru, time);
        ScopeKey scope = new RagScope("t").GetKey("v1");
        foreach (string q in new[] { "a", "b", "c" })
        {
            cache.Set(scope, EvictionPolicyTests.Answer(scope, q, q, TimeSpan.Zero, time));
        }

        // Far more hits than one stripe holds: the buffer fills, is drained (here or on the pool) and refills.
        for (int i = 0; i < 1_000; i++)
        {
            Assert.NotNull(cache.TryGet(scope, "a"));
        }

        Assert.NotNull(cache.TryGet(scope, "b"));
        cache.Set(scope, EvictionPolicyTests.Answer(scope, "d", "d", TimeSpan.Zero, time));

        Assert.Null(cache.TryGet(scope, "c")); // least recently used
        Assert.NotNull(cache.TryGet(scope, "a"));
        Assert.NotNull(cache.TryGet(scope, "b"));
        Assert.NotNull(cache.TryGet(scope, "d"));
    }

    [Fact]
    public void Reads_buffered_for_a_removed_entry_do_not_keep_its_successor_alive()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var cache = new ExactAnswerCache(2, 1 << 20, EvictionPolicyFactory.Lru, time);
        ScopeKey scope = new RagScope("t").GetKey("v1");
        cache.Set(scope, EvictionPolicyTests.Answer(scope, "a", "old", TimeSpan.Zero, time));
        Assert.NotNull(cache.TryGet(scope, "a")); // buffered read of the old entry
        cache.Remove(scope, "a");
        cache.Set(scope, EvictionPolicyTests.Answer(scope, "a", "new", TimeSpan.Zero, time));
        cache.Set(scope, EvictionPolicyTests.Answer(scope, "b", "b", TimeSpan.Zero, time));
        cache.Set(scope, EvictionPolicyTests.Answer(scope, "c", "c", TimeSpan.Zero, time));

        Assert.Null(cache.TryGet(scope, "a")); // the new "a" was never read, so it is the LRU victim
        Assert.Equal("b", cache.TryGet(scope, "b")?.Text);
        Assert.Equal("c", cache.TryGet(scope, "c")?.Text);
    }

    [Fact]
    public void Expiry_holds_with_the_system_clock()
    {
        var cache = new ExactAnswerCache(10, 1 << 20, EvictionPolicyFactory.WTinyLfu, TimeProvider.System);
        ScopeKey scope = new RagScope("t").GetKey("v1");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        cache.Set(scope, Answer(scope, "fresh", now.AddHours(1)));
        cache.Set(scope, Answer(scope, "stale", now.AddSeconds(-1)));
        cache.Set(scope, Answer(scope, "forever", DateTimeOffset.MaxValue));

        Assert.NotNull(cache.TryGet(scope, "fresh"));
        Assert.NotNull(cache.TryGet(scope, "forever"));
        Assert.Null(cache.TryGet(scope, "stale"));
        Assert.Equal(2, cache.Count);
    }

    [Theory]
    [InlineData("lru")]
    [InlineData("w-tinylfu")]
    [InlineData("gdsf")]
    public void Concurrent_hits_and_writes_keep_bounds_and_never_mix_up_answers(string policy)
    {
        EvictionPolicyFactory factory = policy switch
        {
            "lru" => EvictionPolicyFactory.Lru,
            "w-tinylfu" => EvictionPolicyFactory.WTinyLfu,
            _ => EvictionPolicyFactory.Gdsf,
        };
        var cache = new ExactAnswerCache(50, 1 << 20, factory, TimeProvider.System);
        ScopeKey scope = new RagScope("t").GetKey("v1");
        int wrong = 0;
        int hits = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var rng = new Random(worker);
            for (int i = 0; i < 20_000; i++)
            {
                string q = $"question {rng.Next(200) / (1 + rng.Next(4))}";
                if (i % 10 == 0)
                {
                    cache.Set(scope, Answer(scope, q, DateTimeOffset.UtcNow.AddHours(1), text: "answer to " + q));
                }
                else if (cache.TryGet(scope, q) is { } hit)
                {
                    Interlocked.Increment(ref hits);
                    if (hit.Text != "answer to " + q)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        });

        Assert.Equal(0, wrong);
        Assert.True(hits > 0);
        Assert.InRange(cache.Count, 1, 50);
    }

    private static CachedAnswer Answer(ScopeKey scope, string question, DateTimeOffset expires, string text = "x") => new()
    {
        Question = question,
        ScopeId = scope.Id,
        Text = text,
        Citations = [],
        Provenance = [],
        CreatedAt = DateTimeOffset.UtcNow,
        ExpiresAt = expires,
    };
}
