using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RagKit;
using RagKit.Providers;
using RagKit.Qdrant;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Qdrant vector store on a RagKit DI builder.</summary>
public static class QdrantRagKitBuilderExtensions
{
    /// <summary>
    /// Uses Qdrant as the pipeline's vector store. The settings are the pipeline's named
    /// <see cref="QdrantVectorStoreOptions"/> (<see cref="IOptions{TOptions}"/>), validated when the host starts; every
    /// invalid setting is reported.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configure">Sets the endpoint, API key and collection options.</param>
    public static IRagKitBuilder AddQdrantVectorStore(this IRagKitBuilder builder, Action<QdrantVectorStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(builder, null, configure);
    }

    /// <summary>
    /// Uses Qdrant as the pipeline's vector store, with settings bound from a configuration section (for example
    /// <c>configuration.GetSection("RagKit:Qdrant")</c>, keys named as the <see cref="QdrantVectorStoreOptions"/>
    /// properties), validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <param name="configure">Changes settings after binding, for example the API key from a secret store.</param>
    public static IRagKitBuilder AddQdrantVectorStore(this IRagKitBuilder builder, IConfiguration configuration, Action<QdrantVectorStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(builder, configuration, configure);
    }

    private static IRagKitBuilder AddCore(IRagKitBuilder builder, IConfiguration? configuration, Action<QdrantVectorStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string optionsName = builder.Name ?? Options.Options.DefaultName;
        string section = builder.Name is null ? "RagKit:Qdrant" : $"RagKit[{builder.Name}]:Qdrant";
        OptionsBuilder<QdrantVectorStoreOptions> options = builder.Services.AddOptions<QdrantVectorStoreOptions>(optionsName);
        if (configuration is not null)
        {
            options.Bind(configuration);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        // The container's clock, unless the app set one on the options.
        options.PostConfigure<TimeProvider>((o, clock) =>
        {
            if (ReferenceEquals(o.TimeProvider, TimeProvider.System))
            {
                o.TimeProvider = clock;
            }
        });
        options.ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        options.ValidateSettings(section, o => o.Validate(), () => new QdrantVectorStoreOptions());
        return builder.UseVectorStore(sp => QdrantVectorStore.Create(
            sp.GetRequiredService<IOptionsMonitor<QdrantVectorStoreOptions>>().Get(optionsName),
            sp.GetService<ILoggerFactory>()?.CreateLogger("RagKit.Qdrant")));
    }
}
