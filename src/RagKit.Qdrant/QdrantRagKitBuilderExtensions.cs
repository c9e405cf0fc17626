using Microsoft.Extensions.Logging;
using RagKit;
using RagKit.Qdrant;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Qdrant vector store on a RagKit DI builder.</summary>
public static class QdrantRagKitBuilderExtensions
{
    /// <summary>Uses Qdrant as the pipeline's vector store. Options are validated when the pipeline is first resolved.</summary>
    /// <param name="builder">The builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configure">Sets the endpoint, API key and collection options.</param>
    public static IRagKitBuilder AddQdrantVectorStore(this IRagKitBuilder builder, Action<QdrantVectorStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.UseVectorStore(sp =>
        {
            var options = new QdrantVectorStoreOptions();
            configure(options);
            return QdrantVectorStore.Create(options, sp.GetService<ILoggerFactory>()?.CreateLogger("RagKit.Qdrant"));
        });
    }
}
