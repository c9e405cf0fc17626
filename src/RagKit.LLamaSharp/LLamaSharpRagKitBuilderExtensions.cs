using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RagKit.LLamaSharp;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the local GGUF generator with a RagKit pipeline.</summary>
public static class LLamaSharpRagKitBuilderExtensions
{
    /// <summary>
    /// Uses a <see cref="LLamaSharpChatClient"/> over a local GGUF model as the pipeline's generator. Its options are the
    /// named options of the pipeline (<see cref="IRagKitBuilder.Name"/>) and are validated when the host starts
    /// (a missing <see cref="LLamaSharpGeneratorOptions.ModelPath"/> fails startup with a message naming it).
    /// </summary>
    /// <param name="builder">The pipeline builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configure">Sets the model path and runtime settings.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder AddLLamaSharpGenerator(this IRagKitBuilder builder, Action<LLamaSharpGeneratorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        string optionsName = builder.Name ?? Options.Options.DefaultName;
        builder.Services.AddOptions<LLamaSharpGeneratorOptions>(optionsName).Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LLamaSharpGeneratorOptions>, GeneratorOptionsValidator>());
        return builder.UseChatClient(sp => new LLamaSharpChatClient(
            sp.GetRequiredService<IOptionsMonitor<LLamaSharpGeneratorOptions>>().Get(optionsName),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
    }

    private sealed class GeneratorOptionsValidator : IValidateOptions<LLamaSharpGeneratorOptions>
    {
        public ValidateOptionsResult Validate(string? name, LLamaSharpGeneratorOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
