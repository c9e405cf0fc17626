using Microsoft.Extensions.DependencyInjection;
using RagKit.AI;
using RagKit.Caching;

namespace Microsoft.Extensions.AI;

/// <summary>Adds RagKit's caching to Microsoft.Extensions.AI client pipelines.</summary>
public static class RagKitAIBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="RagKitCachingChatClient"/>: exact and semantic caching of responses, scoped per tenant,
    /// conversation and options, with single-flight. The embedding generator for semantic hits and any shared
    /// <see cref="ISemanticAnswerCache"/> tiers are taken from the service provider (unkeyed) when present.
    /// </summary>
    /// <param name="builder">The chat client builder.</param>
    /// <param name="configure">Changes settings.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseRagKitCache(this ChatClientBuilder builder, Action<RagKitChatCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var options = new RagKitChatCacheOptions();
            configure?.Invoke(options);
            return new RagKitCachingChatClient(
                inner,
                services.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
                options,
                services.GetService<IEnumerable<ISemanticAnswerCache>>(),
                services.GetService<TimeProvider>(),
                services.GetService<IEnumerable<IExactAnswerCache>>(),
                services.GetService<ISingleFlightCoordinator>());
        });
    }

    /// <summary>
    /// Adds a <see cref="RagKitCachingChatClient"/> using <paramref name="embeddingGenerator"/> for semantic hits.
    /// </summary>
    /// <param name="builder">The chat client builder.</param>
    /// <param name="embeddingGenerator">Embeds last user messages for the semantic tier.</param>
    /// <param name="configure">Changes settings.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseRagKitCache(this ChatClientBuilder builder, IEmbeddingGenerator<string, Embedding<float>> embeddingGenerator, Action<RagKitChatCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(embeddingGenerator);
        return builder.Use((inner, services) =>
        {
            var options = new RagKitChatCacheOptions();
            configure?.Invoke(options);
            return new RagKitCachingChatClient(
                inner,
                embeddingGenerator,
                options,
                services.GetService<IEnumerable<ISemanticAnswerCache>>(),
                services.GetService<TimeProvider>(),
                services.GetService<IEnumerable<IExactAnswerCache>>(),
                services.GetService<ISingleFlightCoordinator>());
        });
    }

    /// <summary>Adds a bounded LRU cache of embeddings keyed on the input text and the model id and dimensions asked for.</summary>
    /// <param name="builder">The embedding generator builder.</param>
    /// <param name="capacity">Most embeddings kept. Default 10,000.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="capacity"/> is not positive.</exception>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UseRagKitEmbeddingCache(this EmbeddingGeneratorBuilder<string, Embedding<float>> builder, int capacity = 10_000)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (capacity <= 0)
        {
            throw new ArgumentException($"capacity must be positive; got {capacity}.", nameof(capacity));
        }

        return builder.Use(inner => new RagKitCachingEmbeddingGenerator(inner, capacity));
    }
}
