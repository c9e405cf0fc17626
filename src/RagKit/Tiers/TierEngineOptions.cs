using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.Caching;

namespace RagKit.Tiers;

/// <summary>
/// What a <see cref="TierEngine"/> is made of: the sizes and policy of its in-process tiers, the shared tiers after
/// them, and the time budget each shared tier gets. Front ends (the pipeline, the chat middleware, the Semantic Kernel
/// filter) map their own options onto these.
/// </summary>
[Experimental(TierEngine.DiagnosticId)]
public sealed class TierEngineOptions
{
    /// <summary>Entries of the in-process exact tier over all scopes. Default 10,000.</summary>
    public int ExactCapacity { get; set; } = 10_000;

    /// <summary>Bytes of the in-process exact tier over all scopes. Default 64 MiB.</summary>
    public long ExactMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Entries of the in-process semantic tier per scope. Default 10,000.</summary>
    public int SemanticCapacityPerScope { get; set; } = 10_000;

    /// <summary>Bytes of the in-process semantic tier per scope. Default 64 MiB.</summary>
    public long SemanticMaxBytesPerScope { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// One byte budget over every scope of the in-process exact and semantic tiers: past it, the tier scope holding
    /// the most bytes evicts what its policy chooses. Default 256 MiB.
    /// </summary>
    public long MaxCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Whether questions with the same answer form clusters in the in-process semantic tier (the pipeline's option).</summary>
    public bool SemanticAnswerClusters { get; set; }

    /// <summary>Entries of the retrieval-result tier per scope; 0 (the default) for none (front ends without retrieval).</summary>
    public int RetrievalCapacityPerScope { get; set; }

    /// <summary>Cosine similarity at or above which a retrieval result is reused. Default 0.95.</summary>
    public float RetrievalThreshold { get; set; } = 0.95f;

    /// <summary>The eviction policy of the in-process tiers. Default LRU.</summary>
    public EvictionPolicyFactory EvictionPolicy { get; set; } = EvictionPolicyFactory.Lru;

    /// <summary>Decides whether the answer of a similar question is served. Default <see cref="SemanticMatchRules.Neighbourhood"/>.</summary>
    public ISemanticMatchRule SemanticMatchRule { get; set; } = SemanticMatchRules.Neighbourhood();

    /// <summary>Expire-after-access of the in-process tiers; null (the default) for TTL only.</summary>
    public TimeSpan? SlidingExpiration { get; set; }

    /// <summary>The time budget of every call to a shared tier; a slower tier is skipped. Default 50 ms.</summary>
    public TimeSpan TierTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Shared exact tiers consulted after the in-process exact tier, in order.</summary>
    public IReadOnlyList<IExactAnswerCache> SharedExactTiers { get; set; } = [];

    /// <summary>
    /// Shared semantic tiers consulted after the in-process semantic tier, in order. Those that are also an
    /// <see cref="IDocumentInvalidationFeed"/> gate serving: while one is not caught up, no cached answer is served or stored.
    /// </summary>
    public IReadOnlyList<ISemanticAnswerCache> SharedSemanticTiers { get; set; } = [];

    /// <summary>Cross-process single-flight; null for in-process single-flight only.</summary>
    public ISingleFlightCoordinator? SingleFlight { get; set; }

    /// <summary>The <c>component</c> tag of the engine's metrics (for example <c>chat</c>); null for the pipeline (no tag).</summary>
    public string? Component { get; set; }

    /// <summary>The clock of TTLs, sliding expiration and the shared tiers' time budget. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where skipped and failing tiers are logged. Default: nowhere.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;
}
