using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RagKit.Caching;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>The Redis tier's settings from configuration (IOptions, validated at start) and its health check, on a real redis-server.</summary>
[Collection("redis")]
public sealed class ConfigurationAndHealthTests(RedisFixture fixture)
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("RagKit:Redis");

    [RedisFact]
    public async Task Settings_bound_from_configuration_reach_the_tier_with_the_eviction_policy_by_name()
    {
        IConfiguration section = Config(new()
        {
            ["RagKit:Redis:ConnectionString"] = fixture.Server!.Endpoint,
            ["RagKit:Redis:KeyPrefix"] = Prefix(),
            ["RagKit:Redis:SemanticCapacityPerScope"] = "123",
            ["RagKit:Redis:TierTimeout"] = "00:00:00.5",
            ["RagKit:Redis:EvictionPolicy"] = "Gdsf",
        });
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(fixture.Embedder);
        services.AddRagKit().AddRedisSemanticCache(section);
        await using ServiceProvider sp = services.BuildServiceProvider();
        sp.GetRequiredService<IStartupValidator>().Validate();

        var tier = (RedisSemanticCacheImpl)sp.GetRequiredService<IRedisSemanticCache>();
        Assert.Equal(123, tier.Options.SemanticCapacityPerScope);
        Assert.Equal(TimeSpan.FromMilliseconds(500), tier.Options.TierTimeout);
        Assert.Same(EvictionPolicyFactory.Gdsf, tier.Options.EvictionPolicy);
        Assert.Same(sp.GetRequiredService<TimeProvider>(), tier.Options.TimeProvider);
    }

    [Fact]
    public void Every_invalid_setting_fails_startup_at_once()
    {
        IConfiguration section = Config(new()
        {
            ["RagKit:Redis:Dimensions"] = "0",
            ["RagKit:Redis:Candidates"] = "100",
            ["RagKit:Redis:EvictionPolicy"] = "Random",
        });
        var services = new ServiceCollection();
        services.AddRagKit().AddRedisSemanticCache(section);
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(ex.Failures, f => f.StartsWith("RagKit:Redis:ConnectionString:", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("RagKit:Redis:Dimensions:", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("RagKit:Redis:Candidates:", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("RagKit:Redis:EvictionPolicy: 'Random' is not an eviction policy", StringComparison.Ordinal));
        Assert.Equal(4, ex.Failures.Count());
    }

    [RedisFact]
    public async Task The_health_check_is_healthy_with_redis_up_and_reports_the_failure_status_with_it_down()
    {
        using var down = new RedisServer();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(fixture.Embedder);
        services.AddRagKit().AddRedisSemanticCache(o =>
        {
            o.ConnectionString = down.Endpoint;
            o.KeyPrefix = Prefix();
            o.TierTimeout = TimeSpan.FromMilliseconds(500);
        });
        services.AddHealthChecks().AddRagKitRedis(failureStatus: HealthStatus.Degraded);
        await using ServiceProvider sp = services.BuildServiceProvider();
        HealthCheckService health = sp.GetRequiredService<HealthCheckService>();

        HealthReport up = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, up.Entries["ragkit-redis"].Status);

        down.Stop();
        HealthReport afterStop = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, afterStop.Entries["ragkit-redis"].Status);
    }
}
