namespace RagKit.Diagnostics;

/// <summary>
/// The names of RagKit's tiers as they appear in tier reports, logs, the <see cref="TelemetryTags.Tier"/> tag of the
/// metrics and the <see cref="TelemetryTags.ActivityTier"/> tag of the <c>ragkit.ask</c> activity.
/// </summary>
public static class TierNames
{
    /// <summary>The in-process exact tier (L1). Value <c>"exact"</c>.</summary>
    public const string Exact = "exact";

    /// <summary>The shared exact tier over an <c>IDistributedCache</c> (RagKit.Redis). Value <c>"shared-exact"</c>.</summary>
    public const string SharedExact = "shared-exact";

    /// <summary>The in-process semantic tier. Value <c>"semantic"</c>.</summary>
    public const string Semantic = "semantic";

    /// <summary>The shared semantic tier on Redis (RagKit.Redis). Value <c>"redis"</c>.</summary>
    public const string SharedSemantic = "redis";

    /// <summary>The retrieval-result tier: cached chunks of a question, in front of the vector store. Value <c>"retrieval"</c>.</summary>
    public const string Retrieval = "retrieval";

    /// <summary>Distributed single-flight: a skip means the coordinator failed or was slow. Value <c>"singleflight"</c>.</summary>
    public const string SingleFlight = "singleflight";

    /// <summary>
    /// Every cached tier at once, bypassed because the invalidation feed was not caught up (a <c>ragkit.tier.skips</c>
    /// tag only). Value <c>"cache:unconfirmed-invalidations"</c>.
    /// </summary>
    public const string UnconfirmedInvalidations = "cache:unconfirmed-invalidations";

    /// <summary>No cache tier served: the answer was generated. Value <c>"generated"</c>.</summary>
    public const string Generated = "generated";
}
