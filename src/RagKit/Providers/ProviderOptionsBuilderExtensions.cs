using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RagKit.Caching;
using RagKit.DependencyInjection;

namespace RagKit.Providers;

/// <summary>
/// Options plumbing for provider packages, so that a provider's settings are bound and validated like RagKit's own:
/// every invalid setting is reported at once, and a policy chosen by name in configuration must exist.
/// </summary>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public static class ProviderOptionsBuilderExtensions
{
    /// <summary>
    /// Validates the options with their own validate method, which throws an <see cref="ArgumentException"/> whose
    /// <see cref="ArgumentException.ParamName"/> is the bad property; unlike calling it directly, every invalid setting is
    /// reported (each bad setting is put back to its default on a copy and the method run again). Combine with
    /// <see cref="OptionsBuilderExtensions.ValidateOnStart{TOptions}(OptionsBuilder{TOptions})"/> to fail at startup.
    /// </summary>
    /// <typeparam name="TOptions">The options type; its public read-write properties are the settings.</typeparam>
    /// <param name="builder">The named options' builder.</param>
    /// <param name="section">The configuration path prefixed to each message, for example <c>RagKit:Redis</c>.</param>
    /// <param name="validate">The options type's validate method.</param>
    /// <param name="createDefault">Creates options with every setting at its default.</param>
    /// <returns>The builder.</returns>
    public static OptionsBuilder<TOptions> ValidateSettings<TOptions>(this OptionsBuilder<TOptions> builder, string section, Action<TOptions> validate, Func<TOptions> createDefault)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(validate);
        ArgumentNullException.ThrowIfNull(createDefault);
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new SettingsValidator<TOptions>(builder.Name, section, validate, createDefault));
        return builder;
    }

    /// <summary>
    /// Sets the eviction policy named under the <c>EvictionPolicy</c> key of <paramref name="configuration"/> (a member
    /// of <see cref="EvictionPolicyFactory"/> or its <see cref="EvictionPolicyFactory.Name"/>, case ignored), and fails
    /// validation when the name is not a policy, listing the valid names.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="builder">The named options' builder.</param>
    /// <param name="configuration">The bound section.</param>
    /// <param name="section">The configuration path prefixed to the message, for example <c>RagKit:Redis</c>.</param>
    /// <param name="setPolicy">Sets the policy on the options.</param>
    /// <returns>The builder.</returns>
    public static OptionsBuilder<TOptions> BindEvictionPolicy<TOptions>(this OptionsBuilder<TOptions> builder, IConfiguration configuration, string section, Action<TOptions, EvictionPolicyFactory> setPolicy)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(setPolicy);
        builder.Configure(o => NamedPolicies.Apply(configuration, p => setPolicy(o, p), null));
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new ConfiguredNamesValidator<TOptions>(builder.Name, configuration, section, withRule: false));
        return builder;
    }

    /// <summary>Runs the options' validate method for one named options instance and reports every invalid setting.</summary>
    private sealed class SettingsValidator<TOptions>(string optionsName, string section, Action<TOptions> validate, Func<TOptions> createDefault) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options) =>
            (name ?? Options.DefaultName) == optionsName
                ? SettingsValidation.Result(SettingsValidation.Collect(options, validate, createDefault, section))
                : ValidateOptionsResult.Skip;
    }
}
