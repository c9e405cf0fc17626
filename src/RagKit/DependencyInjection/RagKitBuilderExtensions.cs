using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit;
using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds components to a pipeline registered with <c>AddRagKit</c> / <c>AddKeyedRagKit</c>.
/// Every component is registered under the builder's <see cref="IRagKitBuilder.Name"/> (unkeyed for the default pipeline),
/// so packages can write their own extensions on top of these.
/// </summary>
public static class RagKitBuilderExtensions
{
    /// <summary>Sets the embedding generator of the pipeline.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="factory">Creates the generator; it is a singleton disposed with the container.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder UseEmbeddingGenerator(this IRagKitBuilder builder, Func<IServiceProvider, IEmbeddingGenerator<string, Embedding<float>>> factory) =>
        Register(builder, factory);

    /// <summary>Sets the generator (chat client) of the pipeline; without one, answers are extractive.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="factory">Creates the chat client; it is a singleton disposed with the container.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder UseChatClient(this IRagKitBuilder builder, Func<IServiceProvider, IChatClient> factory) =>
        Register(builder, factory);

    /// <summary>Sets the vector store of the pipeline (for example a Qdrant store); the default is an in-memory embedded store.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="factory">Creates the store; it is a singleton disposed with the container.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder UseVectorStore(this IRagKitBuilder builder, Func<IServiceProvider, IVectorStore> factory) =>
        Register(builder, factory);

    /// <summary>Sets the prompt template of the pipeline; its version becomes part of every cache scope.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="template">The template.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder UsePromptTemplate(this IRagKitBuilder builder, PromptTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Register(builder, _ => template);
    }

    /// <summary>Adds a shared semantic tier after the in-process one (for example the Redis tier). May be called more than once.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="factory">Creates the tier; it is a singleton disposed with the container.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder AddSemanticCache(this IRagKitBuilder builder, Func<IServiceProvider, ISemanticAnswerCache> factory) =>
        Register(builder, factory); // Register adds (never replaces), so every tier registered this way is kept.

    /// <summary>
    /// Runs a prewarming policy (<see cref="RagKit.Prewarming.PrewarmingPolicies"/>) against the pipeline in the background once
    /// the host has started: after every hosted service's <c>StartAsync</c>, so documents ingested by a startup service
    /// registered earlier are there, and without delaying startup. It is cancelled when the host stops. Progress is logged
    /// and counted (<c>ragkit.prewarm.questions</c>, tags <c>policy</c> and <c>outcome</c>); a failed question never stops the
    /// rest, and a policy that fails as a whole is logged, never thrown at the host. May be called more than once.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="factory">Creates the policy (for example <c>sp =&gt; PrewarmingPolicies.FromQueryLog(File.ReadLines("questions.log"), new AskOptions(scope))</c>).</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder AddPrewarming(this IRagKitBuilder builder, Func<IServiceProvider, RagKit.Prewarming.IPrewarmingPolicy> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        string? name = builder.Name;
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(sp => new RagKit.Prewarming.PrewarmingHostedService(
            factory(sp),
            () => name is null ? sp.GetRequiredService<IRagPipeline>() : sp.GetRequiredKeyedService<IRagPipeline>(name),
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("RagKit.Prewarming")));
        return builder;
    }

    /// <summary>Keeps the pipeline's documents in a durable embedded store (USearch + checksummed log) in <paramref name="directoryPath"/>.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="directoryPath">The store's directory; created when missing.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder UseEmbeddedVectorStore(this IRagKitBuilder builder, string directoryPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directoryPath);
        return builder.UseVectorStore(sp => EmbeddedVectorStore.Open(
            directoryPath,
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("RagKit.EmbeddedVectorStore")));
    }

    /// <summary>Sets the eviction policy of the pipeline's in-process tiers (LRU by default).</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="policy">The policy factory, for example <see cref="EvictionPolicyFactory.Lru"/>.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder UseEvictionPolicy(this IRagKitBuilder builder, EvictionPolicyFactory policy)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(policy);
        builder.Services.Configure<RagKitOptions>(builder.Name ?? Options.Options.DefaultName, o => o.EvictionPolicy = policy);
        return builder;
    }

    /// <summary>Changes the pipeline's settings (applied after configuration binding).</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Changes settings.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder Configure(this IRagKitBuilder builder, Action<RagKitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(builder.Name ?? Options.Options.DefaultName, configure);
        return builder;
    }

    private static IRagKitBuilder Register<T>(IRagKitBuilder builder, Func<IServiceProvider, T> factory)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        if (builder.Name is null)
        {
            builder.Services.AddSingleton(factory);
        }
        else
        {
            builder.Services.AddKeyedSingleton(builder.Name, (sp, _) => factory(sp));
        }

        return builder;
    }
}
