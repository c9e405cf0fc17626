using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.Caching;
using RagKit.Diagnostics;

namespace RagKit.Redis;

/// <summary>The shared Redis tier of one app instance: semantic answers, a shared exact tier and distributed single-flight.</summary>
public interface IRedisSemanticCache : ISemanticAnswerCache, IDisposable, IAsyncDisposable
{
    /// <summary>Distributed single-flight over the same Redis (lease with expiry).</summary>
    ISingleFlightCoordinator SingleFlight { get; }

    /// <summary>A shared exact tier over the same Redis, through <c>IDistributedCache</c>.</summary>
    IExactAnswerCache ExactCache { get; }

    /// <summary>False while the circuit breaker is open (Redis down or slow).</summary>
    bool IsAvailable { get; }
}

/// <summary>Creates the shared Redis tier.</summary>
public static class RedisSemanticCache
{
    /// <summary>The tier's name in reports, logs and metrics.</summary>
    public const string TierName = TierNames.SharedSemantic;

    /// <summary>Connects (without waiting for Redis to be up) and starts following the change stream.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static IRedisSemanticCache Create(RedisSemanticCacheOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new RedisSemanticCacheImpl(options, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("RagKit.Redis"));
    }
}

/// <summary>Adds the shared Redis tier to a pipeline.</summary>
public static class RedisRagPipelineBuilderExtensions
{
    /// <summary>
    /// Adds <paramref name="cache"/> as a semantic tier after the in-process one, its exact tier after L1 (optional),
    /// and its distributed single-flight (optional). The caller owns <paramref name="cache"/> and disposes it after the pipeline.
    /// </summary>
    public static RagPipelineBuilder AddRedisSemanticCache(this RagPipelineBuilder builder, IRedisSemanticCache cache, bool useSharedExactTier = true, bool useSingleFlight = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cache);
        builder.AddSemanticCache(cache);
        if (useSharedExactTier)
        {
            builder.AddExactCache(cache.ExactCache);
        }

        if (useSingleFlight)
        {
            builder.UseSingleFlightCoordinator(cache.SingleFlight);
        }

        return builder;
    }

    /// <summary>Creates the tier from <paramref name="options"/> and adds it; see the other overload. Dispose <paramref name="cache"/> after the pipeline.</summary>
    public static RagPipelineBuilder AddRedisSemanticCache(this RagPipelineBuilder builder, RedisSemanticCacheOptions options, out IRedisSemanticCache cache)
    {
        ArgumentNullException.ThrowIfNull(builder);
        cache = RedisSemanticCache.Create(options);
        return builder.AddRedisSemanticCache(cache);
    }
}
