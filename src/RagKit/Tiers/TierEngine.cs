using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;
using RagKit.Retrieval;
using RagKit.Diagnostics;

namespace RagKit.Tiers;

/// <summary>
/// The cache tiers in front of a generator, in the order every front end consults them: the in-process exact tier,
/// the shared exact tiers, the in-process semantic tier, the shared semantic tiers and (for the pipeline) the
/// retrieval-result tier. It owns what each tier needs on every request: the time budget of each shared tier, skipping
/// a tier that fails or is slow, metrics and logs, the checks every served answer passes (scope, expiry, source
/// versions, caught-up feeds), promotion of a hit into the faster tiers, fan-out of stores, removals and invalidations,
/// and cross-process single-flight. The pipeline, the chat middleware and the Semantic Kernel filter all run on it.
/// </summary>
/// <remarks>
/// The engine is the seam for front ends (RagKit's own and other packages'); it is experimental
/// (<c>RAGKIT002</c>) while its shape settles. Its files: <c>TierEngine.Find.cs</c> (lookups, in tier order),
/// <c>TierEngine.Store.cs</c> (stores, removals, invalidations), <c>TierEngine.SingleFlight.cs</c> (leases).
/// </remarks>
[Experimental(DiagnosticId)]
public sealed partial class TierEngine : IDisposable
{
    /// <summary>The diagnostic id of the experimental tier-engine API.</summary>
    public const string DiagnosticId = "RAGKIT002";

    private readonly TierEngineOptions _options;
    private readonly TierAccessor[] _sharedExact;
    private readonly IExactAnswerCache[] _sharedExactTiers;
    private readonly TierAccessor[] _sharedSemantic;
    private readonly ISemanticAnswerCache[] _sharedSemanticTiers;
    private readonly TierAccessor? _singleFlight;
    private readonly TierTelemetry _telemetry;
    // Whether the in-process semantic tier's rule explores (a verified rule): the front end then verifies the answer it
    // generates against the explored candidate's.
    private readonly bool _ruleExplores;

    /// <summary>Creates the tiers.</summary>
    /// <param name="options">What the tiers are made of; read once.</param>
    /// <exception cref="ArgumentException">A size or budget is not positive.</exception>
    public TierEngine(TierEngineOptions options)
        : this(options, countMetrics: true)
    {
    }

    /// <summary>Creates the tiers; without metrics for the warm-up's throwaway engine.</summary>
    internal TierEngine(TierEngineOptions options, bool countMetrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ExactCapacity, nameof(options.ExactCapacity));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SemanticCapacityPerScope, nameof(options.SemanticCapacityPerScope));
        if (options.TierTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(options.TierTimeout)} must be positive; got {options.TierTimeout}.", nameof(options));
        }

        _options = options;
        _telemetry = new TierTelemetry(options.Component, countMetrics);
        TimeProvider time = options.TimeProvider;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxCacheBytes, nameof(options.MaxCacheBytes));
        var budget = new CacheMemoryBudget(options.MaxCacheBytes); // one budget over both in-process tiers and all their scopes
        LocalExact = new ExactAnswerCache(options.ExactCapacity, options.ExactMaxBytes, options.EvictionPolicy, time, options.SlidingExpiration, budget);
        LocalSemantic = new InProcessSemanticCache(options.SemanticCapacityPerScope, options.EvictionPolicy, time, options.SemanticMatchRule, options.SemanticAnswerClusters, options.SlidingExpiration, options.SemanticMaxBytesPerScope, budget);
        Retrievals = options.RetrievalCapacityPerScope > 0 ? new RetrievalResultCache(options.RetrievalCapacityPerScope, options.RetrievalThreshold) : null;
        _sharedExactTiers = [.. options.SharedExactTiers];
        _sharedExact = Array.ConvertAll(_sharedExactTiers, t => new TierAccessor(t.Name, options.TierTimeout, time, options.Logger, _telemetry));
        _sharedSemanticTiers = [.. options.SharedSemanticTiers];
        _sharedSemantic = Array.ConvertAll(_sharedSemanticTiers, t => new TierAccessor(t.Name, options.TierTimeout, time, options.Logger, _telemetry));
        SingleFlight = options.SingleFlight;
        _singleFlight = SingleFlight is null ? null : new TierAccessor(SingleFlightTier, options.TierTimeout, time, options.Logger, _telemetry);
        Versions = new DocumentVersions(_sharedSemanticTiers.OfType<IDocumentInvalidationFeed>(), time);
        _ruleExplores = options.SemanticMatchRule is IVerifyingMatchRule;

        // The first hit in a process should cost about what later ones do: warm the hit paths now, not on a user's request.
        TierWarmUp.Run(options.EvictionPolicy, options.SemanticMatchRule, time);
    }

    /// <summary>The name single-flight leases are reported under when skipped.</summary>
    internal const string SingleFlightTier = TierNames.SingleFlight;

    internal ExactAnswerCache LocalExact { get; }

    internal InProcessSemanticCache LocalSemantic { get; }

    /// <summary>The retrieval-result tier; null for front ends without retrieval.</summary>
    internal RetrievalResultCache? Retrievals { get; }

    internal DocumentVersions Versions { get; }

    internal IReadOnlyList<IExactAnswerCache> SharedExactTiers => _sharedExactTiers;

    internal ISingleFlightCoordinator? SingleFlight { get; }

    /// <summary>The feeds that gate serving (the shared semantic tiers that are invalidation feeds).</summary>
    public IReadOnlyList<IDocumentInvalidationFeed> Feeds => Versions.Feeds;

    /// <summary>True while every invalidation feed is caught up (or there is none): only then are cached answers served or stored.</summary>
    public bool CachesServable => Versions.CachesServable();

    /// <summary>The time budget of each shared tier.</summary>
    public TimeSpan TierTimeout => _options.TierTimeout;

    /// <summary>The rule semantic candidates are matched with.</summary>
    public ISemanticMatchRule SemanticMatchRule => _options.SemanticMatchRule;

    /// <summary>Releases the in-process semantic tier's indexes. Shared tiers belong to whoever created them.</summary>
    public void Dispose() => LocalSemantic.Dispose();

    /// <summary>The answer under the question it now serves (a semantic hit promoted into the exact tier).</summary>
    internal static CachedAnswer Rekey(CachedAnswer a, string normalized) => string.Equals(a.Question, normalized, StringComparison.Ordinal) ? a : new CachedAnswer
    {
        Question = normalized,
        ScopeId = a.ScopeId,
        Text = a.Text,
        Citations = a.Citations,
        Provenance = a.Provenance,
        IsExtractive = a.IsExtractive,
        GenerationCost = a.GenerationCost,
        CreatedAt = a.CreatedAt,
        ExpiresAt = a.ExpiresAt,
    };
}
