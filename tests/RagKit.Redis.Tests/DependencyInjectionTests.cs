using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RagKit.Caching;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>AddRedisSemanticCache on the DI builder wires the shared semantic tier, exact tier and single-flight.</summary>
[Collection("redis")]
public sealed class DependencyInjectionTests(RedisFixture fixture)
{
    [RedisFact]
    public async Task Two_containers_with_AddRedisSemanticCache_share_answers()
    {
        string prefix = Prefix();
        ServiceProvider Container() => new ServiceCollection()
            .AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(fixture.Embedder)
            .AddRagKit()
            .AddRedisSemanticCache(o =>
            {
                o.ConnectionString = fixture.Server!.Endpoint;
                o.KeyPrefix = prefix;
                o.TierTimeout = TimeSpan.FromMilliseconds(500);
                o.FreshnessWindow = TimeSpan.FromSeconds(2);
            })
            .Services.BuildServiceProvider();

        await using ServiceProvider one = Container();
        await using ServiceProvider two = Container();
        IRagPipeline a = one.GetRequiredService<IRagPipeline>();
        IRagPipeline b = two.GetRequiredService<IRagPipeline>();
        var scope = new RagScope("acme");
        await WaitCaughtUpAsync(one.GetRequiredService<IRedisSemanticCache>(), two.GetRequiredService<IRedisSemanticCache>());
        await a.IngestAsync(scope, Handbook);
        await b.IngestAsync(scope, Handbook);
        await SettleAsync(one.GetRequiredService<IRedisSemanticCache>(), two.GetRequiredService<IRedisSemanticCache>());

        RagAnswer first = await a.AskAsync("How many vacation days do employees get per year?", new AskOptions(scope));
        RagAnswer shared = await b.AskAsync("How many vacation days do employees get per year?", new AskOptions(scope));

        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.NotEqual(AnswerTier.Generated, shared.Tier);
        Assert.Equal(first.Text, shared.Text);
        Assert.Contains(one.GetServices<ISemanticAnswerCache>(), t => t.Name == "redis");
        Assert.NotNull(one.GetService<ISingleFlightCoordinator>());
        Assert.NotEmpty(one.GetServices<IExactAnswerCache>());
    }
}
