using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RagKit.Onnx;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the local MiniLM embedder with a RagKit pipeline.</summary>
public static class OnnxRagKitBuilderExtensions
{
    /// <summary>
    /// Uses RagKit.Onnx's all-MiniLM-L6-v2 embedder (<see cref="MiniLmEmbeddingGenerator"/>) as the pipeline's
    /// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>. Its options are the named options of the
    /// pipeline (<see cref="IRagKitBuilder.Name"/>) and are validated when the host starts.
    /// </summary>
    /// <param name="builder">The pipeline builder returned by <c>AddRagKit</c>.</param>
    /// <param name="configure">Changes the embedder's settings.</param>
    /// <returns>The builder.</returns>
    public static IRagKitBuilder AddOnnxEmbeddings(this IRagKitBuilder builder, Action<OnnxEmbeddingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string optionsName = builder.Name ?? Options.Options.DefaultName;
        OptionsBuilder<OnnxEmbeddingOptions> options = builder.Services.AddOptions<OnnxEmbeddingOptions>(optionsName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OnnxEmbeddingOptions>, EmbeddingOptionsValidator>());

        return builder.UseEmbeddingGenerator(sp =>
        {
            OnnxEmbeddingOptions o = sp.GetRequiredService<IOptionsMonitor<OnnxEmbeddingOptions>>().Get(optionsName);
            o.TimeProvider ??= sp.GetService<TimeProvider>();
            return MiniLmEmbeddingGenerator.Create(o, sp.GetService<ILoggerFactory>()?.CreateLogger<MiniLmEmbeddingGenerator>());
        });
    }

    private sealed class EmbeddingOptionsValidator : IValidateOptions<OnnxEmbeddingOptions>
    {
        public ValidateOptionsResult Validate(string? name, OnnxEmbeddingOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail("RagKit.Onnx: " + ex.Message);
            }
        }
    }
}
