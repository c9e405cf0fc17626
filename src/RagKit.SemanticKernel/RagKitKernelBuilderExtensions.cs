using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RagKit;
using RagKit.Retrieval;
using RagKit.SemanticKernel;

namespace Microsoft.SemanticKernel;

/// <summary>Registers RagKit with a Semantic Kernel <see cref="IKernelBuilder"/>.</summary>
public static class RagKitKernelBuilderExtensions
{
    /// <summary>
    /// Registers a RagKit pipeline in the kernel's services and adds the <see cref="RagKitPlugin"/> (functions <c>ask</c>
    /// and <c>search</c>) under <paramref name="pluginName"/>. Add components to the returned builder
    /// (for example <c>AddOnnxEmbeddings()</c>).
    /// </summary>
    /// <param name="kernelBuilder">The kernel builder.</param>
    /// <param name="configure">Changes the pipeline's settings.</param>
    /// <param name="pluginName">The plugin name. Default <c>"ragkit"</c>.</param>
    /// <returns>The RagKit builder.</returns>
    public static IRagKitBuilder AddRagKit(this IKernelBuilder kernelBuilder, Action<RagKitOptions>? configure = null, string pluginName = "ragkit")
    {
        ArgumentNullException.ThrowIfNull(kernelBuilder);
        IRagKitBuilder rag = kernelBuilder.Services.AddRagKit(configure);
        kernelBuilder.Services.AddSingleton(sp => KernelPluginFactory.CreateFromObject(
            new RagKitPlugin(sp.GetRequiredService<IRagPipeline>(), sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>(), sp.GetService<IVectorStore>()),
            pluginName));
        return rag;
    }

    /// <summary>
    /// Serves the kernel's prompt functions from RagKit's exact and semantic tiers: a hit sets the function's result
    /// without calling the model; a miss is written back when the function completes. The semantic tier uses the
    /// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> in the kernel's services when there is one; shared
    /// exact and semantic tiers registered there (for example Redis) are consulted after the in-process ones.
    /// </summary>
    /// <param name="kernelBuilder">The kernel builder.</param>
    /// <param name="configure">Changes settings.</param>
    /// <returns>The kernel builder.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it (thrown when the kernel is built).</exception>
    public static IKernelBuilder AddRagKitPromptCache(this IKernelBuilder kernelBuilder, Action<RagKitPromptCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(kernelBuilder);
        kernelBuilder.Services.AddSingleton(sp =>
        {
            var options = new RagKitPromptCacheOptions();
            configure?.Invoke(options);
            return new RagKitPromptCacheFilter(
                options,
                sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
                sp.GetService<TimeProvider>(),
                sp.GetService<IEnumerable<RagKit.Caching.IExactAnswerCache>>(),
                sp.GetService<IEnumerable<RagKit.Caching.ISemanticAnswerCache>>());
        });
        kernelBuilder.Services.AddSingleton<IPromptRenderFilter>(sp => sp.GetRequiredService<RagKitPromptCacheFilter>());
        kernelBuilder.Services.AddSingleton<IFunctionInvocationFilter>(sp => sp.GetRequiredService<RagKitPromptCacheFilter>());
        return kernelBuilder;
    }
}
