using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RagKit.Redis;

/// <summary>
/// Health of the shared Redis tier: healthy when a PING answers within the tier's operation timeout (times two, for a
/// loaded server) and its circuit breaker is closed; otherwise the registration's failure status. RagKit still
/// answers while Redis is down (the tier is skipped), so registering with <see cref="HealthStatus.Degraded"/> is
/// often the right choice.
/// </summary>
internal sealed class RedisTierHealthCheck(IRedisSemanticCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (cache is not RedisSemanticCacheImpl tier)
        {
            return HealthCheckResult.Healthy("Not a RagKit Redis tier: nothing to check.");
        }

        if (!tier.IsAvailable)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "RagKit Redis tier: the circuit breaker is open; the tier is skipped.");
        }

        try
        {
            TimeSpan timeout = tier.Options.TierTimeout * 2;
            TimeSpan latency = await tier.PingAsync().WaitAsync(timeout, tier.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"RagKit Redis tier: PING {latency.TotalMilliseconds:F1} ms.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "RagKit Redis tier: Redis did not answer a PING.", ex);
        }
    }
}
