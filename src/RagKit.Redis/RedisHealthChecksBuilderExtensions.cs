using Microsoft.Extensions.Diagnostics.HealthChecks;
using RagKit.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the health check of RagKit's shared Redis tier.</summary>
public static class RedisHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the Redis tier added with <c>AddRedisSemanticCache</c>: a PING within twice the tier's operation timeout
    /// and a closed circuit breaker are healthy.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHealthChecks()</c>.</param>
    /// <param name="pipelineName">The keyed pipeline's name; <see langword="null"/> for the default pipeline.</param>
    /// <param name="name">The check's name. Default <c>ragkit-redis</c>.</param>
    /// <param name="failureStatus">Reported when Redis does not answer; <see langword="null"/> is Unhealthy. RagKit keeps
    /// answering without the tier, so <see cref="HealthStatus.Degraded"/> is often the truer status.</param>
    /// <param name="tags">Tags to filter checks with.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddRagKitRedis(this IHealthChecksBuilder builder, string? pipelineName = null, string name = "ragkit-redis", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new RedisTierHealthCheck(pipelineName is null
                ? sp.GetRequiredService<IRedisSemanticCache>()
                : sp.GetRequiredKeyedService<IRedisSemanticCache>(pipelineName)),
            failureStatus,
            tags));
    }
}
