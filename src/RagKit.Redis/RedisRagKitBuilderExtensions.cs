using Microsoft.Extensions.Logging;
using RagKit;
using RagKit.Caching;
using RagKit.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the shared Redis tiers on a RagKit DI builder.</summary>
public static class RedisRagKitBuilderExtensions
{
    /// <summary>
    /// Adds the Redis semantic tier shared by every app instance, and by default the shared exact tier and
    /// distributed single-flight on the same connection. Options are validated when the pipeline is first resolved.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configure">Sets the connection and tier options.</param>
    /// <param name="useSharedExactTier">Also share exact answers through Redis.</param>
    /// <param name="useSingleFlight">Let concurrent misses on different instances cause one generation.</param>
    public static IRagKitBuilder AddRedisSemanticCache(this IRagKitBuilder builder, Action<RedisSemanticCacheOptions> configure, bool useSharedExactTier = true, bool useSingleFlight = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        IRedisSemanticCache Create(IServiceProvider sp)
        {
            var options = new RedisSemanticCacheOptions();
            configure(options);
            return RedisSemanticCache.Create(options, sp.GetService<ILoggerFactory>());
        }

        if (builder.Name is null)
        {
            builder.Services.AddSingleton(Create);
            builder.Services.AddSingleton<ISemanticAnswerCache>(sp => sp.GetRequiredService<IRedisSemanticCache>());
            if (useSharedExactTier)
            {
                builder.Services.AddSingleton(sp => sp.GetRequiredService<IRedisSemanticCache>().ExactCache);
            }

            if (useSingleFlight)
            {
                builder.Services.AddSingleton(sp => sp.GetRequiredService<IRedisSemanticCache>().SingleFlight);
            }
        }
        else
        {
            string name = builder.Name;
            builder.Services.AddKeyedSingleton(name, (sp, _) => Create(sp));
            builder.Services.AddKeyedSingleton<ISemanticAnswerCache>(name, (sp, _) => sp.GetRequiredKeyedService<IRedisSemanticCache>(name));
            if (useSharedExactTier)
            {
                builder.Services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredKeyedService<IRedisSemanticCache>(name).ExactCache);
            }

            if (useSingleFlight)
            {
                builder.Services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredKeyedService<IRedisSemanticCache>(name).SingleFlight);
            }
        }

        return builder;
    }
}
