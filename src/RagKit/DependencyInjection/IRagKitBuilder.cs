namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures one RagKit pipeline registered in an <see cref="IServiceCollection"/>.
/// Packages add their components through extension methods on this type
/// (for example <c>AddOnnxEmbeddings</c>, <c>AddLLamaSharpGenerator</c>, <c>AddRedisSemanticCache</c>, <c>AddQdrantVectorStore</c>).
/// </summary>
public interface IRagKitBuilder
{
    /// <summary>The service collection the pipeline is registered in.</summary>
    IServiceCollection Services { get; }

    /// <summary>
    /// The pipeline's key: <see langword="null"/> for the default pipeline (resolved as <c>IRagPipeline</c>),
    /// otherwise the service key of a keyed pipeline (resolved with <c>[FromKeyedServices(name)]</c>).
    /// Components added through this builder are registered under the same key, and options under the same name.
    /// </summary>
    string? Name { get; }
}
