using Microsoft.Extensions.Time.Testing;
using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>One byte budget over many scopes and both answer tiers, enforced through the eviction policies; idle scopes are released.</summary>
public sealed class MemoryBudgetTests
{
    public static TheoryData<string> PolicyNames => ["lru", "lfu", "w-tinylfu", "gdsf"];

    private static EvictionPolicyFactory Factory(string name) => name switch
    {
        "lru" => EvictionPolicyFactory.Lru,
        "lfu" => EvictionPolicyFactory.Lfu,
        "w-tinylfu" => EvictionPolicyFactory.WTinyLfu,
        _ => EvictionPolicyFactory.Gdsf,
    };

    private static float[] Vector(int i) => [MathF.Cos(i * 0.37f), MathF.Sin(i * 0.37f), i % 11, 1];

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public async Task A_budget_over_many_scopes_and_both_tiers_is_never_exceeded_by_more_than_one_entry(string name)
    {
        const long budgetBytes = 60_000;
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var budget = new CacheMemoryBudget(budgetBytes);
        using var semantic = new InProcessSemanticCache(1_000, Factory(name), time, SemanticMatchRules.Static, budget: budget);
        var exact = new ExactAnswerCache(10_000, long.MaxValue / 4, Factory(name), time, budget: budget);
        var rng = new Random(3);
        long largestEntry = 0;
        for (int i = 0; i < 2_000; i++)
        {
            ScopeKey scope = new RagScope($"tenant-{i % 50}").GetKey("v1");
            CachedAnswer answer = EvictionPolicyTests.Answer(scope, $"question {i}", new string('x', rng.Next(50, 1_500)), TimeSpan.FromSeconds(rng.NextDouble()), time);
            largestEntry = Math.Max(largestEntry, answer.EstimatedSize + (4 * sizeof(float)));
            exact.Set(scope, answer);
            await semantic.StoreAsync(scope, Vector(i), answer, CancellationToken.None);

            Assert.True(budget.Bytes <= budgetBytes + largestEntry, $"{budget.Bytes:N0} bytes held after insert {i}");
            Assert.Equal(semantic.Bytes + exact.Bytes, budget.Bytes);
        }

        Assert.True(budget.Bytes > budgetBytes / 2, "the budget evicted far more than it had to");
        Assert.True(semantic.Count > 0 && exact.Count > 0);
    }

    [Fact]
    public async Task Budget_victims_are_the_policys_choice_in_the_largest_scope()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        ScopeKey big = new RagScope("big").GetKey("v1"), small = new RagScope("small").GetKey("v1");
        CachedAnswer Make(ScopeKey s, string q) => EvictionPolicyTests.Answer(s, q, new string('x', 500), TimeSpan.Zero, time);
        long entry = Make(big, "q0").EstimatedSize + (4 * sizeof(float));
        var budget = new CacheMemoryBudget((entry * 10) + (entry / 2));
        using var semantic = new InProcessSemanticCache(1_000, EvictionPolicyFactory.Lru, time, SemanticMatchRules.Static, budget: budget);

        await semantic.StoreAsync(small, Vector(100), Make(small, "s0"), CancellationToken.None);
        await semantic.StoreAsync(small, Vector(101), Make(small, "s1"), CancellationToken.None);
        for (int i = 0; i < 8; i++)
        {
            await semantic.StoreAsync(big, Vector(i), Make(big, $"q{i}"), CancellationToken.None);
        }

        // Touch q0 so that LRU's victim in the big scope is q1, then go over the budget by one entry.
        Assert.NotNull(await semantic.FindAsync(new SemanticQuery(big, "q0", Vector(0), 0.999f), CancellationToken.None));
        await semantic.StoreAsync(big, Vector(8), Make(big, "q8"), CancellationToken.None);

        Assert.Equal(10, semantic.Count);
        Assert.NotNull(semantic.GetStats(big, "q0"));
        Assert.Null(semantic.GetStats(big, "q1"));
        Assert.NotNull(semantic.GetStats(small, "s0"));
        Assert.NotNull(semantic.GetStats(small, "s1"));
    }

    [Fact]
    public async Task A_scope_whose_entries_are_all_gone_is_released_and_a_later_store_makes_it_again()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var budget = new CacheMemoryBudget(1L << 30);
        using var semantic = new InProcessSemanticCache(1_000, EvictionPolicyFactory.WTinyLfu, time, SemanticMatchRules.Static, budget: budget);
        var doc = new DocumentKey("t", "c", "faq");
        for (int i = 0; i < 20; i++)
        {
            ScopeKey scope = new RagScope($"tenant-{i}").GetKey("v1");
            CachedAnswer answer = new()
            {
                Question = $"question {i}",
                ScopeId = scope.Id,
                Text = "answer",
                Citations = [],
                Provenance = [new ProvenanceEntry(doc, "c1", 1)],
                CreatedAt = time.GetUtcNow(),
                ExpiresAt = time.GetUtcNow() + TimeSpan.FromHours(1),
            };
            await semantic.StoreAsync(scope, Vector(i), answer, CancellationToken.None);
        }

        Assert.Equal(20, semantic.ScopeCount);
        Assert.Equal(20, budget.MemberCount);

        // Invalidation empties every scope: each drops its structures and leaves the budget.
        Assert.Equal(20, await semantic.InvalidateDocumentsAsync([doc], CancellationToken.None));
        Assert.Equal(0, semantic.ScopeCount);
        Assert.Equal(0, budget.MemberCount);
        Assert.Equal(0, budget.Bytes);

        // Removal empties a scope too; a store into a released scope builds a new one that serves.
        ScopeKey again = new RagScope("tenant-3").GetKey("v1");
        await semantic.StoreAsync(again, Vector(3), EvictionPolicyTests.Answer(again, "question 3", "answer", TimeSpan.Zero, time), CancellationToken.None);
        Assert.NotNull(await semantic.FindAsync(new SemanticQuery(again, "question 3", Vector(3), 0.99f), CancellationToken.None));
        Assert.Equal(1, await semantic.RemoveAsync(again, "question 3", CancellationToken.None));
        Assert.Equal(0, semantic.ScopeCount);
        Assert.Null(await semantic.FindAsync(new SemanticQuery(again, "question 3", Vector(3), 0.99f), CancellationToken.None));

        // Expiry empties a scope on the lookup that finds the entry expired.
        await semantic.StoreAsync(again, Vector(3), EvictionPolicyTests.Answer(again, "question 3", "answer", TimeSpan.Zero, time, time.GetUtcNow() + TimeSpan.FromMinutes(1)), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await semantic.FindAsync(new SemanticQuery(again, "question 3", Vector(3), 0.99f), CancellationToken.None));
        Assert.Equal(0, semantic.ScopeCount);
    }

    [Fact]
    public void Budget_option_is_validated()
    {
        var options = new RagKitOptions { MaxCacheBytes = 0 };
        ArgumentException e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(nameof(RagKitOptions.MaxCacheBytes), e.ParamName);
        Assert.Equal(256L * 1024 * 1024, new RagKitOptions().MaxCacheBytes);
    }

    [Fact]
    public async Task A_scope_whose_entries_expired_is_released_by_the_sweep_that_stores_elsewhere_run()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var semantic = new InProcessSemanticCache(1_000, EvictionPolicyFactory.Lru, time, SemanticMatchRules.Static);
        ScopeKey idle = new RagScope("idle").GetKey("v1"), busy = new RagScope("busy").GetKey("v1");
        await semantic.StoreAsync(idle, Vector(0), EvictionPolicyTests.Answer(idle, "q", "a", TimeSpan.Zero, time, time.GetUtcNow() + TimeSpan.FromMinutes(1)), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2));

        // Nobody asks the idle scope again; stores into another scope sweep it out.
        for (int i = 1; i <= 200; i++)
        {
            await semantic.StoreAsync(busy, Vector(i), EvictionPolicyTests.Answer(busy, $"q{i}", $"a{i}", TimeSpan.Zero, time), CancellationToken.None);
        }

        Assert.Equal(1, semantic.ScopeCount);
        Assert.Null(semantic.GetStats(idle, "q"));
        Assert.Equal(200, semantic.Count);
    }
}
