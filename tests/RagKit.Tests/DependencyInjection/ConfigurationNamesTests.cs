using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RagKit.Caching;

namespace RagKit.Tests.DependencyInjection;

/// <summary>Policies and rules chosen by name in configuration, and startup validation that reports every bad setting.</summary>
public sealed class ConfigurationNamesTests
{
    private static ServiceProvider Container(Dictionary<string, string?> values, string? keyed = null)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        if (keyed is null)
        {
            services.AddRagKit(config.GetSection("RagKit"));
        }
        else
        {
            services.AddKeyedRagKit(keyed, config.GetSection("RagKit"));
        }

        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("WTinyLfu", "WTinyLfu")]
    [InlineData("w-tinylfu", "WTinyLfu")]
    [InlineData("gdsf", "Gdsf")]
    [InlineData("WTinyLfuHillClimber", "WTinyLfuHillClimber")]
    public void The_eviction_policy_is_chosen_by_name(string configured, string property)
    {
        using ServiceProvider sp = Container(new() { ["RagKit:EvictionPolicy"] = configured });
        sp.GetRequiredService<IStartupValidator>().Validate();

        var expected = (EvictionPolicyFactory)typeof(EvictionPolicyFactory).GetProperty(property)!.GetValue(null)!;
        Assert.Same(expected, sp.GetRequiredService<IOptions<RagKitOptions>>().Value.EvictionPolicy);
    }

    [Fact]
    public void The_semantic_match_rule_is_chosen_by_name_and_a_stateful_rule_is_new_per_pipeline()
    {
        using ServiceProvider guarded = Container(new() { ["RagKit:SemanticMatchRule"] = "Guarded" });
        Assert.Same(SemanticMatchRules.Guarded, guarded.GetRequiredService<IOptions<RagKitOptions>>().Value.SemanticMatchRule);

        using ServiceProvider a = Container(new() { ["RagKit:SemanticMatchRule"] = "verified" });
        using ServiceProvider b = Container(new() { ["RagKit:SemanticMatchRule"] = "verified" });
        ISemanticMatchRule ruleA = a.GetRequiredService<IOptions<RagKitOptions>>().Value.SemanticMatchRule;
        ISemanticMatchRule ruleB = b.GetRequiredService<IOptions<RagKitOptions>>().Value.SemanticMatchRule;
        Assert.Equal(SemanticMatchRules.Verified().Name, ruleA.Name);
        Assert.NotSame(ruleA, ruleB);
    }

    [Fact]
    public void Unknown_names_fail_startup_listing_the_names_that_exist()
    {
        using ServiceProvider sp = Container(new() { ["RagKit:EvictionPolicy"] = "Random", ["RagKit:SemanticMatchRule"] = "Loose" }, keyed: "support");

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        string policy = Assert.Single(ex.Failures, f => f.StartsWith("RagKit[support]:EvictionPolicy: 'Random' is not an eviction policy; use one of ", StringComparison.Ordinal));
        Assert.All(["Lru", "Lfu", "WTinyLfu", "WTinyLfuLruFirst", "WTinyLfuHillClimber", "Gdsf"], name => Assert.Contains(name, policy, StringComparison.Ordinal));
        string rule = Assert.Single(ex.Failures, f => f.StartsWith("RagKit[support]:SemanticMatchRule: 'Loose' is not a semantic match rule; use one of ", StringComparison.Ordinal));
        Assert.All(["Static", "Guarded", "Neighbourhood", "Verified"], name => Assert.Contains(name, rule, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once()
    {
        using ServiceProvider sp = Container(new()
        {
            ["RagKit:TopK"] = "0",
            ["RagKit:SemanticThreshold"] = "1.5",
            ["RagKit:TierTimeout"] = "-00:00:01",
            ["RagKit:ChunkOverlap"] = "-1",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        string[] settings = [.. ex.Failures.Select(f => f[..f.IndexOf(": ", StringComparison.Ordinal)])];
        Assert.Equal(["RagKit:ChunkOverlap", "RagKit:TopK", "RagKit:SemanticThreshold", "RagKit:TierTimeout"], settings);
    }
}
