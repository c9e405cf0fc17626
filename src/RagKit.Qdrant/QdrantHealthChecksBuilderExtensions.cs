using Microsoft.Extensions.Diagnostics.HealthChecks;
using RagKit.Qdrant;
using RagKit.Retrieval;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the health check of RagKit's Qdrant store.</summary>
public static class QdrantHealthChecksBuilderExtensions
{
    /// <summary>Checks the Qdrant store added with <c>AddQdrantVectorStore</c> through Qdrant's health call.</summary>
    /// <param name="builder">The builder returned by <c>AddHealthChecks()</c>.</param>
    /// <param name="pipelineName">The keyed pipeline's name; <see langword="null"/> for the default pipeline.</param>
    /// <param name="name">The check's name. Default <c>ragkit-qdrant</c>.</param>
    /// <param name="failureStatus">Reported when Qdrant does not answer; <see langword="null"/> is Unhealthy.</param>
    /// <param name="tags">Tags to filter checks with.</param>
    /// <param name="timeout">How long the health call may take; <see langword="null"/> is 5 seconds.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddRagKitQdrant(this IHealthChecksBuilder builder, string? pipelineName = null, string name = "ragkit-qdrant", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new QdrantHealthCheck(pipelineName is null
                ? sp.GetRequiredService<IVectorStore>()
                : sp.GetKeyedService<IVectorStore>(pipelineName) ?? sp.GetRequiredService<IVectorStore>()),
            failureStatus,
            tags,
            timeout ?? TimeSpan.FromSeconds(5)));
    }
}
