using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace RagKit.DependencyInjection;

/// <summary>Fails startup when a configuration section names an eviction policy or match rule that does not exist.</summary>
/// <typeparam name="TOptions">The options bound from the section.</typeparam>
internal sealed class ConfiguredNamesValidator<TOptions>(string optionsName, IConfiguration section, string sectionName, bool withRule) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        (name ?? Options.DefaultName) == optionsName
            ? SettingsValidation.Result(NamedPolicies.Errors(section, sectionName, withRule))
            : ValidateOptionsResult.Skip;
}
