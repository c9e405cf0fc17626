using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RagKit;
using RagKit.Caching;
using RagKit.DependencyInjection;
using RagKit.Generation;
using RagKit.Retrieval;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers RagKit pipelines in an <see cref="IServiceCollection"/>.</summary>
public static class RagKitServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default <see cref="IRagPipeline"/> as a singleton built from the services in the container:
    /// an <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> (required), and optionally an <see cref="IChatClient"/>,
    /// an <see cref="IVectorStore"/>, a <see cref="PromptTemplate"/> and any number of <see cref="ISemanticAnswerCache"/> tiers.
    /// Options are validated when the host starts; a bad setting fails startup with a message naming it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes settings.</param>
    /// <returns>A builder to add components with.</returns>
    public static IRagKitBuilder AddRagKit(this IServiceCollection services, Action<RagKitOptions>? configure = null) =>
        AddCore(services, null, configure, null);

    /// <summary>Registers the default <see cref="IRagPipeline"/> with options bound from a configuration section (for example <c>configuration.GetSection("RagKit")</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section whose keys are <see cref="RagKitOptions"/> property names.</param>
    /// <param name="configure">Changes settings after binding.</param>
    /// <returns>A builder to add components with.</returns>
    public static IRagKitBuilder AddRagKit(this IServiceCollection services, IConfiguration configuration, Action<RagKitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, null, configure, configuration);
    }

    /// <summary>
    /// Registers a keyed <see cref="IRagPipeline"/>, resolved with <c>[FromKeyedServices(name)]</c> or <c>GetRequiredKeyedService&lt;IRagPipeline&gt;(name)</c>.
    /// Its components are the ones registered under the same key, falling back to unkeyed ones for the embedder, chat client,
    /// vector store and prompt template; its options are the named options <paramref name="name"/>. Keyed pipelines share no cache.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The service key and options name.</param>
    /// <param name="configure">Changes settings.</param>
    /// <returns>A builder to add components with.</returns>
    public static IRagKitBuilder AddKeyedRagKit(this IServiceCollection services, string name, Action<RagKitOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return AddCore(services, name, configure, null);
    }

    /// <summary>Registers a keyed <see cref="IRagPipeline"/> with options bound from a configuration section.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The service key and options name.</param>
    /// <param name="configuration">The section whose keys are <see cref="RagKitOptions"/> property names.</param>
    /// <param name="configure">Changes settings after binding.</param>
    /// <returns>A builder to add components with.</returns>
    public static IRagKitBuilder AddKeyedRagKit(this IServiceCollection services, string name, IConfiguration configuration, Action<RagKitOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, name, configure, configuration);
    }

    private static RagKitBuilder AddCore(IServiceCollection services, string? name, Action<RagKitOptions>? configure, IConfiguration? configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        string optionsName = name ?? Options.Options.DefaultName;
        OptionsBuilder<RagKitOptions> options = services.AddOptions<RagKitOptions>(optionsName);
        if (configuration is not null)
        {
            // The binder cannot make a policy or rule from a string and would skip it silently: they are chosen by name.
            options.Bind(configuration);
            options.Configure(o => NamedPolicies.Apply(configuration, p => o.EvictionPolicy = p, r => o.SemanticMatchRule = r));
            services.AddSingleton<IValidateOptions<RagKitOptions>>(new ConfiguredNamesValidator<RagKitOptions>(optionsName, configuration, SectionName(name), withRule: true));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RagKitOptions>, RagKitOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        if (name is null)
        {
            services.TryAddSingleton<IRagPipeline>(sp => CreatePipeline(sp, null));
        }
        else
        {
            services.TryAddKeyedSingleton<IRagPipeline>(name, (sp, _) => CreatePipeline(sp, name));
        }

        return new RagKitBuilder(services, name);
    }

    /// <summary>How messages name a pipeline's settings: <c>RagKit</c>, or <c>RagKit[name]</c> for a keyed pipeline.</summary>
    internal static string SectionName(string? name) => name is null ? "RagKit" : $"RagKit[{name}]";

    private static IRagPipeline CreatePipeline(IServiceProvider sp, string? name)
    {
        RagKitOptions options = sp.GetRequiredService<IOptionsMonitor<RagKitOptions>>().Get(name ?? Options.Options.DefaultName);
        IEmbeddingGenerator<string, Embedding<float>> embedder = Resolve<IEmbeddingGenerator<string, Embedding<float>>>(sp, name)
            ?? throw new InvalidOperationException(
                $"RagKit pipeline '{name ?? "(default)"}' needs an IEmbeddingGenerator<string, Embedding<float>>: call AddOnnxEmbeddings() (RagKit.Onnx) or UseEmbeddingGenerator(...) on the builder returned by AddRagKit, or register one in the container.");

        var builder = new RagPipelineBuilder()
            .UseEmbeddingGenerator(embedder)
            .UseChatClient(Resolve<IChatClient>(sp, name))
            .UseTimeProvider(sp.GetRequiredService<TimeProvider>())
            .UseLoggerFactory(sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
            .Configure(o => CopyOptions(options, o));

        if (Resolve<IVectorStore>(sp, name) is { } store)
        {
            builder.UseVectorStore(store);
        }

        if (Resolve<PromptTemplate>(sp, name) is { } template)
        {
            builder.UsePromptTemplate(template);
        }

        IEnumerable<ISemanticAnswerCache> tiers = name is null ? sp.GetServices<ISemanticAnswerCache>() : sp.GetKeyedServices<ISemanticAnswerCache>(name);
        foreach (ISemanticAnswerCache tier in tiers)
        {
            builder.AddSemanticCache(tier);
        }

        IEnumerable<IExactAnswerCache> exactTiers = name is null ? sp.GetServices<IExactAnswerCache>() : sp.GetKeyedServices<IExactAnswerCache>(name);
        foreach (IExactAnswerCache tier in exactTiers)
        {
            builder.AddExactCache(tier);
        }

        builder.UseSingleFlightCoordinator(name is null ? sp.GetService<ISingleFlightCoordinator>() : sp.GetKeyedService<ISingleFlightCoordinator>(name));
        return builder.Build();
    }

    private static T? Resolve<T>(IServiceProvider sp, string? name)
        where T : class =>
        name is null ? sp.GetService<T>() : (sp.GetKeyedService<T>(name) ?? sp.GetService<T>());

    // Every settable option is copied, so an option added to RagKitOptions later cannot be forgotten here.
    private static void CopyOptions(RagKitOptions from, RagKitOptions to)
    {
        foreach (System.Reflection.PropertyInfo p in typeof(RagKitOptions).GetProperties())
        {
            if (p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0)
            {
                p.SetValue(to, p.GetValue(from));
            }
        }
    }

    private sealed class RagKitBuilder(IServiceCollection services, string? name) : IRagKitBuilder
    {
        public IServiceCollection Services { get; } = services;

        public string? Name { get; } = name;
    }
}

/// <summary>Runs <see cref="RagKitOptions.Validate"/> for every named <see cref="RagKitOptions"/> instance and reports every invalid setting.</summary>
internal sealed class RagKitOptionsValidator : IValidateOptions<RagKitOptions>
{
    public ValidateOptionsResult Validate(string? name, RagKitOptions options) =>
        SettingsValidation.Result(SettingsValidation.Collect(options, o => o.Validate(), () => new RagKitOptions(),
            RagKitServiceCollectionExtensions.SectionName(string.IsNullOrEmpty(name) ? null : name)));
}
