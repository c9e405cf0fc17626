using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Generation;
using RagKit.Retrieval;
using RagKit.Tiers;

namespace RagKit;

/// <summary>
/// The pipeline: the ask path through the tiers and the ingest path with provenance invalidation. The cache tiers
/// (with their budgets, checks, metrics and fan-out) are the <see cref="TierEngine"/> every front end shares; this class
/// adds what only a RAG pipeline has: embedding, retrieval, generation from sources, ingestion and document versions.
/// Its files, by concern: <c>.Ask</c> (the recipe of an ask), <c>.Streaming</c>, <c>.SingleFlight</c>,
/// <c>.Generation</c>, <c>.Ingest</c>, <c>.Invalidation</c> and <c>.Prewarming</c>.
/// </summary>
internal sealed partial class RagPipeline : IRagPipeline
{
    private const string ExtractiveModel = "extractive";

    /// <summary>Reported in <see cref="TierReport.SkippedTiers"/> when cached answers were bypassed because a feed was not caught up.</summary>
    internal const string UnconfirmedTier = TierNames.UnconfirmedInvalidations;
    private readonly RagKitOptions _options;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly IChatClient? _chat;
    private readonly IVectorStore _store;
    private readonly bool _ownsStore;
    private readonly PromptTemplate _template;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TierEngine _tiers;

    internal RagPipeline(
        RagKitOptions options,
        IEmbeddingGenerator<string, Embedding<float>> embedder,
        IChatClient? chat,
        IVectorStore? store,
        PromptTemplate template,
        IReadOnlyList<ISemanticAnswerCache> sharedSemanticTiers,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<IExactAnswerCache>? sharedExactTiers = null,
        ISingleFlightCoordinator? singleFlight = null)
    {
        options.Validate();
        _options = options;
        _embedder = embedder;
        _chat = chat;
        _ownsStore = store is null;
        _store = store ?? EmbeddedVectorStore.InMemory();
        _template = template;
        _time = time;
        _logger = logger;
        _tiers = new TierEngine(new TierEngineOptions
        {
            ExactCapacity = options.ExactCapacity,
            ExactMaxBytes = options.ExactMaxBytes,
            SemanticCapacityPerScope = options.SemanticCapacityPerScope,
            SemanticMaxBytesPerScope = options.SemanticMaxBytesPerScope,
            MaxCacheBytes = options.MaxCacheBytes,
            SemanticAnswerClusters = options.SemanticAnswerClusters,
            RetrievalCapacityPerScope = options.RetrievalCapacityPerScope,
            RetrievalThreshold = options.RetrievalThreshold,
            EvictionPolicy = options.EvictionPolicy,
            SemanticMatchRule = options.SemanticMatchRule,
            SlidingExpiration = options.SlidingExpiration,
            TierTimeout = options.TierTimeout,
            SharedExactTiers = sharedExactTiers ?? [],
            SharedSemanticTiers = sharedSemanticTiers,
            SingleFlight = singleFlight,
            TimeProvider = time,
            Logger = logger,
        });
        foreach (IDocumentInvalidationFeed feed in _tiers.Feeds)
        {
            feed.DocumentsInvalidated += OnRemoteInvalidation;
        }

        string model = options.ModelVersion
            ?? (chat is null ? ExtractiveModel : chat.GetService<ChatClientMetadata>()?.DefaultModelId ?? chat.GetType().FullName!);
        EmbeddingGeneratorMetadata? em = embedder.GetService<EmbeddingGeneratorMetadata>();
        string embedding = options.EmbeddingModelVersion
            ?? $"{em?.DefaultModelId ?? embedder.GetType().FullName}/{em?.DefaultModelDimensions}";
        string templateVersion = chat is null ? ExtractiveModel : $"{template.Version}/{options.PromptTemplateVersion}";
        VersionStamp = $"model={model};template={templateVersion};embedding={embedding}";
    }

    /// <summary>Model, template and embedding versions; part of every cache scope.</summary>
    internal string VersionStamp { get; }

    internal TierEngine Tiers => _tiers;

    internal ExactAnswerCache ExactTier => _tiers.LocalExact;

    internal IReadOnlyList<IExactAnswerCache> SharedExactTiers => _tiers.SharedExactTiers;

    /// <summary>Cross-process single-flight; null for in-process single-flight only.</summary>
    internal ISingleFlightCoordinator? SingleFlight => _tiers.SingleFlight;

    internal InProcessSemanticCache LocalSemanticTier => _tiers.LocalSemantic;

    internal RetrievalResultCache RetrievalTier => _tiers.Retrievals!;

    public void Dispose()
    {
        foreach (IDocumentInvalidationFeed feed in _tiers.Feeds)
        {
            feed.DocumentsInvalidated -= OnRemoteInvalidation;
        }

        _tiers.Dispose();
        if (_ownsStore && _store is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <summary>Stage timings of one ask; when a feed is not caught up, every cache tier is bypassed and reported skipped.</summary>
    private StageTimings NewTimings(AskOptions options)
    {
        var timings = new StageTimings();
        if (options.UseCache && !_tiers.CachesServable)
        {
            timings.Unconfirmed = true;
            timings.Skips.Add(UnconfirmedTier);
            RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(UnconfirmedTier), new KeyValuePair<string, object?>(TelemetryTags.Reason, RagKitTelemetry.UnconfirmedReason));
        }

        return timings;
    }

    private static RagAnswer FromCache(CachedAnswer cached, TierReport report) => new()
    {
        Text = cached.Text,
        Citations = cached.Citations,
        IsExtractive = cached.IsExtractive,
        Report = report,
    };

    /// <summary>The ask's wall time under the tier that served it (the tier's hit is counted by the engine).</summary>
    private static void RecordAnswered(string tier, TimeSpan elapsed) =>
        RagKitTelemetry.AskDuration.Record(elapsed.TotalMilliseconds, RagKitTelemetry.Tier(tier));

    private sealed record Prepared(ReadOnlyMemory<float> Vector, IReadOnlyList<ChunkMatch> Sources, RagAnswer? CachedHit);

    private sealed class StageTimings
    {
        /// <summary>The name of the cache tier that served the ask (the metrics' and traces' `tier` value); null on a miss.</summary>
        public string? ServedBy { get; set; }

        public TimeSpan Embedding { get; set; }

        /// <summary>The candidate a verified match rule explored on this ask (default: none).</summary>
        public SemanticExploration Exploration { get; set; }

        public TimeSpan SemanticLookup { get; set; }

        public TimeSpan Retrieval { get; set; }

        public bool RetrievalCached { get; set; }

        public TimeSpan Generation { get; set; }

        /// <summary>The answer as cached after generation (null when it was not cacheable).</summary>
        public CachedAnswer? Cached { get; set; }

        public TierSkips Skips { get; } = new();

        public IReadOnlyList<string> Skipped => Skips.Names;

        /// <summary>True when a feed was not caught up as the ask began: no cache tier is read or written.</summary>
        public bool Unconfirmed { get; set; }
    }
}
