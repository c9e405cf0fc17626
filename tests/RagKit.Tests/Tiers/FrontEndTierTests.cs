using Microsoft.Extensions.AI;
using RagKit.AI;
using RagKit.Caching;
using RagKit.Prewarming;

namespace RagKit.Tests.Tiers;

/// <summary>
/// Every front end runs on the one tier engine: the chat middleware gets the shared tiers and budgets the pipeline has,
/// and curated answers reach every tier a generated answer does.
/// </summary>
public sealed class FrontEndTierTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>
{
    private static ChatOptions Tenant(string tenant) => new() { AdditionalProperties = new() { [RagKitChatCacheOptions.TenantProperty] = tenant } };

    [Fact]
    public async Task The_chat_middleware_serves_from_a_shared_exact_tier_another_instance_filled()
    {
        var shared = new InMemoryExactTier();
        var inner = new CountingChatClient();
        using var first = new RagKitCachingChatClient(inner, miniLm.Embedder, sharedExactTiers: [shared]);
        using var second = new RagKitCachingChatClient(inner, miniLm.Embedder, sharedExactTiers: [shared]);

        ChatResponse generated = await first.GetResponseAsync("How do I reset my password?", Tenant("acme"));
        ChatResponse served = await second.GetResponseAsync("How do I reset my password?", Tenant("acme"));
        ChatResponse otherTenant = await second.GetResponseAsync("How do I reset my password?", Tenant("globex"));

        // Before: the middleware had no shared exact tier, so the second instance called the model again.
        Assert.Equal("exact", served.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
        Assert.Equal(generated.Text, served.Text);
        Assert.Null(otherTenant.AdditionalProperties?.GetValueOrDefault(RagKitChatCacheOptions.TierProperty)); // never across tenants
        Assert.Equal(2, inner.Calls);
        Assert.Equal(2, shared.Count);
    }

    [Fact]
    public async Task The_chat_middleware_skips_a_shared_tier_whose_store_never_finishes_within_its_budget()
    {
        var hanging = new HangingStoreSemanticTier();
        var inner = new CountingChatClient();
        using var client = new RagKitCachingChatClient(inner, miniLm.Embedder, new RagKitChatCacheOptions { TierTimeout = TimeSpan.FromMilliseconds(50) }, sharedTiers: [hanging]);

        // Before: the store had no budget and this waited for the tier forever. The watchdog is far above the budget.
        ChatResponse response = await client.GetResponseAsync("How do I reset my password?", Tenant("acme")).WaitAsync(TimeSpan.FromSeconds(30));
        ChatResponse again = await client.GetResponseAsync("How do I reset my password?", Tenant("acme")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, hanging.Stores);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal("exact", again.AdditionalProperties![RagKitChatCacheOptions.TierProperty]); // the in-process tiers were written first
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task A_curated_answer_reaches_the_shared_exact_tier_and_another_instance_serves_it()
    {
        var shared = new InMemoryExactTier();
        var scope = new RagScope("acme", "faq");
        using IRagPipeline first = new RagPipelineBuilder().UseEmbeddingGenerator(miniLm.Embedder).AddExactCache(shared).Build();
        using IRagPipeline second = new RagPipelineBuilder().UseEmbeddingGenerator(miniLm.Embedder).AddExactCache(shared).Build();

        await ((ICuratedAnswerSink)first).AddCuratedAnswerAsync(scope, "What is the warranty period?", "Two years from purchase.");
        RagAnswer answer = await second.AskAsync("What is the warranty period?", new AskOptions(scope));

        // Before: curated answers skipped the shared exact tier, so the second instance had nothing to serve.
        Assert.Equal(1, shared.Count);
        Assert.Equal(AnswerTier.Exact, answer.Report.Tier);
        Assert.Equal("Two years from purchase.", answer.Text);
    }

    [Fact]
    public async Task The_chat_middleware_holds_its_scopes_within_one_byte_budget()
    {
        const long budget = 24 * 1024;
        var inner = new CountingChatClient();
        using var client = new RagKitCachingChatClient(inner, miniLm.Embedder, new RagKitChatCacheOptions { MaxCacheBytes = budget });
        for (int i = 0; i < 60; i++)
        {
            await client.GetResponseAsync("How do I reset my password?", Tenant($"tenant-{i}"));
        }

        // Each tenant is a scope of both in-process tiers; together they stay within the budget plus one entry's bytes
        // (before the engine passed the budget on, every scope kept its answer).
        long held = client.Tiers.LocalExact.Bytes + client.Tiers.LocalSemantic.Bytes;
        Assert.InRange(held, 1, budget + 4 * 1024);
        Assert.True(client.Tiers.LocalExact.Count < 60);
        Assert.Equal(60, inner.Calls);
    }
}
