using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit;

/// <summary>
/// Builds a <see cref="IRagPipeline"/> without dependency injection.
/// Only an embedding generator is required: with no chat client the pipeline answers extractively,
/// and with no vector store it keeps chunks in memory.
/// </summary>
/// <example>
/// <code>
/// using var rag = new RagPipelineBuilder()
///     .UseEmbeddingGenerator(MiniLmEmbeddingGenerator.Create())
///     .UseVectorStore(EmbeddedVectorStore.Open("./ragkit-data"))
///     .Build();
/// </code>
/// </example>
public sealed class RagPipelineBuilder
{
    private readonly List<ISemanticAnswerCache> _semanticTiers = [];
    private readonly List<IExactAnswerCache> _exactTiers = [];
    private ISingleFlightCoordinator? _singleFlight;
    private IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private IChatClient? _chat;
    private IVectorStore? _store;
    private PromptTemplate _template = PromptTemplate.Default;
    private TimeProvider _time = TimeProvider.System;
    private ILoggerFactory _loggers = NullLoggerFactory.Instance;

    /// <summary>The pipeline's settings; change them directly or through <see cref="Configure"/>.</summary>
    public RagKitOptions Options { get; } = new();

    /// <summary>Changes settings.</summary>
    public RagPipelineBuilder Configure(Action<RagKitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(Options);
        return this;
    }

    /// <summary>Sets the embedding generator (required), e.g. RagKit.Onnx's MiniLM.</summary>
    public RagPipelineBuilder UseEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> embedder)
    {
        _embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        return this;
    }

    /// <summary>Sets the generator; without one, answers are composed extractively from the sources.</summary>
    public RagPipelineBuilder UseChatClient(IChatClient? chatClient)
    {
        _chat = chatClient;
        return this;
    }

    /// <summary>Sets the vector store; the default is an in-memory embedded store.</summary>
    public RagPipelineBuilder UseVectorStore(IVectorStore store)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        return this;
    }

    /// <summary>Sets the prompt template; its version becomes part of every cache scope.</summary>
    public RagPipelineBuilder UsePromptTemplate(PromptTemplate template)
    {
        _template = template ?? throw new ArgumentNullException(nameof(template));
        return this;
    }

    /// <summary>Adds a semantic tier after the in-process one (for example the shared Redis tier).</summary>
    public RagPipelineBuilder AddSemanticCache(ISemanticAnswerCache tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _semanticTiers.Add(tier);
        return this;
    }

    /// <summary>Adds a shared exact tier consulted after the in-process exact tier and before the semantic tiers.</summary>
    public RagPipelineBuilder AddExactCache(IExactAnswerCache tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _exactTiers.Add(tier);
        return this;
    }

    /// <summary>Sets a coordinator so that concurrent misses on several instances cause one generation.</summary>
    public RagPipelineBuilder UseSingleFlightCoordinator(ISingleFlightCoordinator? coordinator)
    {
        _singleFlight = coordinator;
        return this;
    }

    /// <summary>Sets the clock used for TTLs (inject a fake one in tests).</summary>
    public RagPipelineBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>Sets where the pipeline logs.</summary>
    public RagPipelineBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        _loggers = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>Validates the settings and builds the pipeline.</summary>
    /// <exception cref="InvalidOperationException">No embedding generator was set.</exception>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public IRagPipeline Build()
    {
        if (_embedder is null)
        {
            throw new InvalidOperationException("An embedding generator is required: call UseEmbeddingGenerator (for example with RagKit.Onnx's MiniLmEmbeddingGenerator.Create()).");
        }

        Options.Validate();
        return new RagPipeline(Options, _embedder, _chat, _store, _template, _semanticTiers.ToArray(), _time, _loggers.CreateLogger("RagKit"), _exactTiers.ToArray(), _singleFlight);
    }
}
