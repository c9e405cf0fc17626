using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RagKit.Caching;
using RagKit.Onnx;

namespace RagKit.Tests.DependencyInjection;

public sealed class DependencyInjectionTests
{
    private static readonly RagScope Scope = new("acme", "handbook");

    private static readonly RagDocument[] Docs =
    [
        new("leave", "Employees get 25 days of paid leave per year. Part-time staff get leave pro rata."),
        new("expenses", "Travel expenses are reimbursed within 30 days when receipts are attached."),
    ];

    [Fact]
    public async Task Core_plus_Onnx_resolves_a_pipeline_that_serves_a_repeat_from_the_exact_tier()
    {
        var services = new ServiceCollection();
        services.AddRagKit(o => o.TopK = 2).AddOnnxEmbeddings(o => o.CacheCapacity = 100);
        await using ServiceProvider sp = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        sp.GetRequiredService<IStartupValidator>().Validate();

        IRagPipeline rag = sp.GetRequiredService<IRagPipeline>();
        Assert.Same(rag, sp.GetRequiredService<IRagPipeline>());
        Assert.IsType<MiniLmEmbeddingGenerator>(sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(TimeProvider.System, sp.GetRequiredService<TimeProvider>());

        await rag.IngestAsync(Scope, Docs, null, default);
        RagAnswer first = await rag.AskAsync("How many days of leave do I get?", new AskOptions(Scope), default);
        RagAnswer second = await rag.AskAsync("How many days of leave do I get?", new AskOptions(Scope), default);
        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.True(first.IsExtractive); // no chat client registered
        Assert.Equal("leave", first.Citations[0].DocumentId);
        Assert.Equal(AnswerTier.Exact, second.Tier);
    }

    [Fact]
    public void Options_bound_from_configuration_reach_the_pipeline_options()
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RagKit:SemanticThreshold"] = "0.93",
            ["RagKit:TopK"] = "7",
            ["RagKit:Ttl"] = "02:00:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddRagKit(config.GetSection("RagKit"));
        using ServiceProvider sp = services.BuildServiceProvider();
        sp.GetRequiredService<IStartupValidator>().Validate();

        RagKitOptions o = sp.GetRequiredService<IOptions<RagKitOptions>>().Value;
        Assert.Equal(0.93f, o.SemanticThreshold);
        Assert.Equal(7, o.TopK);
        Assert.Equal(TimeSpan.FromHours(2), o.Ttl);
    }

    [Theory]
    [InlineData("SemanticThreshold", "1.5")]
    [InlineData("TopK", "0")]
    [InlineData("ChunkOverlap", "5000")]
    [InlineData("TierTimeout", "-00:00:01")]
    public void Bad_configuration_fails_at_startup_naming_the_setting(string setting, string value)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["RagKit:" + setting] = value }).Build();
        var services = new ServiceCollection();
        services.AddRagKit(config.GetSection("RagKit")).AddOnnxEmbeddings();
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
        Assert.Contains("RagKit:" + setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_Onnx_options_fail_at_startup_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddRagKit().AddOnnxEmbeddings(o => o.MaxTokens = 100_000);
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("MaxTokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pipeline_without_an_embedder_fails_with_a_message_saying_what_to_add()
    {
        var services = new ServiceCollection();
        services.AddRagKit();
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IRagPipeline>());
        Assert.Contains("AddOnnxEmbeddings", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keyed_pipelines_are_separate_in_options_components_and_caches()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => MiniLmEmbeddingGenerator.Create());
        services.AddKeyedRagKit("hr", o => o.TopK = 3).UseEvictionPolicy(EvictionPolicyFactory.Lru);
        services.AddKeyedRagKit("it", o => o.TopK = 5);
        services.AddSingleton<KeyedConsumer>();
        await using ServiceProvider sp = services.BuildServiceProvider(validateScopes: true);
        sp.GetRequiredService<IStartupValidator>().Validate();

        var consumer = sp.GetRequiredService<KeyedConsumer>();
        Assert.NotSame(consumer.Hr, consumer.It);
        Assert.Null(sp.GetService<IRagPipeline>());
        var monitor = sp.GetRequiredService<IOptionsMonitor<RagKitOptions>>();
        Assert.Equal(3, monitor.Get("hr").TopK);
        Assert.Equal(5, monitor.Get("it").TopK);

        await consumer.Hr.IngestAsync(Scope, Docs, null, default);
        await consumer.It.IngestAsync(Scope, Docs, null, default);
        await consumer.Hr.AskAsync("How many days of leave do I get?", new AskOptions(Scope), default);
        RagAnswer hrAgain = await consumer.Hr.AskAsync("How many days of leave do I get?", new AskOptions(Scope), default);
        RagAnswer it = await consumer.It.AskAsync("How many days of leave do I get?", new AskOptions(Scope), default);
        Assert.Equal(AnswerTier.Exact, hrAgain.Tier);
        Assert.Equal(AnswerTier.Generated, it.Tier); // the "it" pipeline has its own, empty caches
    }

    [Fact]
    public async Task A_builder_extension_from_another_package_can_add_a_shared_semantic_tier_under_the_pipeline_key()
    {
        var tier = new RecordingTier();
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => MiniLmEmbeddingGenerator.Create());
        services.AddKeyedRagKit("shared").AddSemanticCache(_ => tier);
        services.AddKeyedRagKit("local");
        await using ServiceProvider sp = services.BuildServiceProvider();

        IRagPipeline shared = sp.GetRequiredKeyedService<IRagPipeline>("shared");
        IRagPipeline local = sp.GetRequiredKeyedService<IRagPipeline>("local");
        await shared.IngestAsync(Scope, Docs, null, default);
        await local.IngestAsync(Scope, Docs, null, default);
        await shared.AskAsync("How are travel expenses reimbursed?", new AskOptions(Scope), default);
        await local.AskAsync("How are travel expenses reimbursed?", new AskOptions(Scope), default);
        Assert.Equal(1, tier.Stores);
    }

    public sealed class KeyedConsumer([FromKeyedServices("hr")] IRagPipeline hr, [FromKeyedServices("it")] IRagPipeline it)
    {
        public IRagPipeline Hr { get; } = hr;

        public IRagPipeline It { get; } = it;
    }

    private sealed class RecordingTier : ISemanticAnswerCache
    {
        private int _stores;

        public string Name => "recording";

        public int Stores => Volatile.Read(ref _stores);

        public ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken) => ValueTask.FromResult<SemanticCacheHit?>(null);

        public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _stores);
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) => ValueTask.FromResult(0);
    }
}
