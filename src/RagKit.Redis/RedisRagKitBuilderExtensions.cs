using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RagKit;
using RagKit.Caching;
using RagKit.Providers;
using RagKit.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the shared Redis tiers on a RagKit DI builder.</summary>
public static class RedisRagKitBuilderExtensions
{
    /// <summary>
    /// Adds the Redis semantic tier shared by every app instance, and by default the shared exact tier and
    /// distributed single-flight on the same connection. The settings are the pipeline's named
    /// <see cref="RedisSemanticCacheOptions"/> (<see cref="IOptions{TOptions}"/>), validated when the host starts; every
    /// invalid setting is reported.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configure">Sets the connection and tier options.</param>
    /// <param name="useSharedExactTier">Also share exact answers through Redis.</param>
    /// <param name="useSingleFlight">Let concurrent misses on different instances cause one generation.</param>
    public static IRagKitBuilder AddRedisSemanticCache(this IRagKitBuilder builder, Action<RedisSemanticCacheOptions> configure, bool useSharedExactTier = true, bool useSingleFlight = true)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(builder, null, configure, useSharedExactTier, useSingleFlight);
    }

    /// <summary>
    /// Adds the Redis tiers with settings bound from a configuration section (for example
    /// <c>configuration.GetSection("RagKit:Redis")</c>, keys named as the <see cref="RedisSemanticCacheOptions"/>
    /// properties; <c>EvictionPolicy</c> takes a policy name such as <c>WTinyLfu</c>), validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <param name="configure">Changes settings after binding, for example to pass an existing connection.</param>
    /// <param name="useSharedExactTier">Also share exact answers through Redis.</param>
    /// <param name="useSingleFlight">Let concurrent misses on different instances cause one generation.</param>
    public static IRagKitBuilder AddRedisSemanticCache(this IRagKitBuilder builder, IConfiguration configuration, Action<RedisSemanticCacheOptions>? configure = null, bool useSharedExactTier = true, bool useSingleFlight = true)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(builder, configuration, configure, useSharedExactTier, useSingleFlight);
    }

    private static IRagKitBuilder AddCore(IRagKitBuilder builder, IConfiguration? configuration, Action<RedisSemanticCacheOptions>? configure, bool useSharedExactTier, bool useSingleFlight)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string optionsName = builder.Name ?? Options.Options.DefaultName;
        string section = builder.Name is null ? "RagKit:Redis" : $"RagKit[{builder.Name}]:Redis";
        OptionsBuilder<RedisSemanticCacheOptions> options = builder.Services.AddOptions<RedisSemanticCacheOptions>(optionsName);
        if (configuration is not null)
        {
            options.Bind(configuration);
            options.BindEvictionPolicy(configuration, section, (o, p) => o.EvictionPolicy = p);
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
        options.ValidateSettings(section, o => o.Validate(), () => new RedisSemanticCacheOptions());

        IRedisSemanticCache Create(IServiceProvider sp) =>
            RedisSemanticCache.Create(sp.GetRequiredService<IOptionsMonitor<RedisSemanticCacheOptions>>().Get(optionsName), sp.GetService<ILoggerFactory>());

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
