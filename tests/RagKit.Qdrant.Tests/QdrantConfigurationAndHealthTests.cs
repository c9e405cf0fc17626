using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RagKit.Qdrant;
using Xunit;

namespace RagKit.Qdrant.Tests;

/// <summary>
/// The Qdrant store's settings from configuration (IOptions, validated at start) and its health check, against the
/// wire-level STAND-IN (no Qdrant server can run here; see <see cref="QdrantWireStandIn"/>).
/// </summary>
public sealed class QdrantConfigurationAndHealthTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("RagKit:Qdrant");

    [Fact]
    public void Settings_bound_from_configuration_reach_the_store_options()
    {
        var services = new ServiceCollection();
        services.AddRagKit().AddQdrantVectorStore(Config(new()
        {
            ["RagKit:Qdrant:Endpoint"] = "http://qdrant.internal:6334",
            ["RagKit:Qdrant:CollectionPrefix"] = "kb_",
            ["RagKit:Qdrant:UpsertBatchSize"] = "64",
        }), o => o.ApiKey = "from-a-secret-store");
        using ServiceProvider sp = services.BuildServiceProvider();
        sp.GetRequiredService<IStartupValidator>().Validate();

        QdrantVectorStoreOptions o = sp.GetRequiredService<IOptions<QdrantVectorStoreOptions>>().Value;
        Assert.Equal(new Uri("http://qdrant.internal:6334"), o.Endpoint);
        Assert.Equal("kb_", o.CollectionPrefix);
        Assert.Equal(64, o.UpsertBatchSize);
        Assert.Equal("from-a-secret-store", o.ApiKey);
    }

    [Fact]
    public void Every_invalid_setting_fails_startup_at_once()
    {
        var services = new ServiceCollection();
        services.AddRagKit().AddQdrantVectorStore(Config(new()
        {
            ["RagKit:Qdrant:Endpoint"] = "ftp://qdrant",
            ["RagKit:Qdrant:MaxRetries"] = "99",
            ["RagKit:Qdrant:UpsertBatchSize"] = "0",
        }));
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Equal(["RagKit:Qdrant:Endpoint", "RagKit:Qdrant:MaxRetries", "RagKit:Qdrant:UpsertBatchSize"], ex.Failures.Select(f => f[..f.IndexOf(": ", StringComparison.Ordinal)]));
    }

    [Fact]
    public async Task The_health_check_is_healthy_while_Qdrant_answers_and_unhealthy_when_it_is_gone()
    {
        QdrantWireStandIn server = await QdrantWireStandIn.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRagKit().AddQdrantVectorStore(o =>
        {
            o.Endpoint = server.Endpoint;
            o.Timeout = TimeSpan.FromSeconds(2);
        });
        services.AddHealthChecks().AddRagKitQdrant(timeout: TimeSpan.FromSeconds(2));
        await using ServiceProvider sp = services.BuildServiceProvider();
        HealthCheckService health = sp.GetRequiredService<HealthCheckService>();

        HealthReport up = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, up.Entries["ragkit-qdrant"].Status);
        Assert.Contains("qdrant stand-in", up.Entries["ragkit-qdrant"].Description, StringComparison.Ordinal);

        await server.DisposeAsync();
        HealthReport gone = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, gone.Entries["ragkit-qdrant"].Status);
    }
}
