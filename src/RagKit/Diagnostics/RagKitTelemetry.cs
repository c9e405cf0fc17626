using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RagKit.Diagnostics;

/// <summary>
/// Names of RagKit's meter and activity source, for OpenTelemetry:
/// <c>builder.AddMeter(RagKitTelemetry.MeterName)</c> and <c>builder.AddSource(RagKitTelemetry.ActivitySourceName)</c>.
/// </summary>
public static class RagKitTelemetry
{
    /// <summary>The name of the <see cref="Meter"/> all RagKit instruments belong to.</summary>
    public const string MeterName = "RagKit";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> RagKit traces with.</summary>
    public const string ActivitySourceName = "RagKit";

    internal static readonly ActivitySource Source = new(ActivitySourceName, "0.1.0");
    internal static readonly Meter Meter = new(MeterName, "0.1.0");

    internal static readonly Counter<long> Hits = Meter.CreateCounter<long>("ragkit.cache.hits", description: "Answers served from a cache tier (tag: tier).");
    internal static readonly Counter<long> Misses = Meter.CreateCounter<long>("ragkit.cache.misses", description: "Lookups that missed a cache tier (tag: tier).");
    internal static readonly Counter<long> Evictions = Meter.CreateCounter<long>("ragkit.cache.evictions", description: "Entries evicted by a tier's policy (tag: tier).");
    internal static readonly Counter<long> Invalidations = Meter.CreateCounter<long>("ragkit.cache.invalidations", description: "Entries removed because a source document changed or was deleted (tag: tier).");
    internal static readonly Counter<long> TierSkips = Meter.CreateCounter<long>("ragkit.tier.skips", description: "Tier calls skipped because the tier failed or exceeded its time budget (tags: tier, reason).");
    internal static readonly Counter<long> SingleFlightJoins = Meter.CreateCounter<long>("ragkit.singleflight.joins", description: "Asks that waited for an identical ask in flight instead of generating.");
    internal static readonly Counter<long> Generations = Meter.CreateCounter<long>("ragkit.generations", description: "Answers generated (tag: generator: chat or extractive).");
    internal static readonly Counter<long> IngestedChunks = Meter.CreateCounter<long>("ragkit.ingest.chunks", description: "Chunks written to the vector store.");
    internal static readonly Counter<long> PrewarmedQuestions = Meter.CreateCounter<long>("ragkit.prewarm.questions", description: "Questions a prewarming policy warmed or refreshed (tags: policy, outcome: warmed or failed).");
    internal static readonly Histogram<double> AskDuration = Meter.CreateHistogram<double>("ragkit.ask.duration", unit: "ms", description: "Wall time of an ask (tag: tier that served it).");
    internal static readonly Histogram<double> GenerationDuration = Meter.CreateHistogram<double>("ragkit.generation.duration", unit: "ms", description: "Time to generate an answer on a miss.");
    internal static readonly Histogram<double> LookupDuration = Meter.CreateHistogram<double>("ragkit.lookup.duration", unit: "ms", description: "Time of a cache tier lookup (tag: tier).");

    /// <summary>The `tier` tag value of an answer that was generated (no cache tier served it).</summary>
    internal const string GeneratedTier = TierNames.Generated;

    // Values of the reason, component, generator and outcome tags (docs/telemetry.md).
    internal const string TimeoutReason = "timeout";
    internal const string ErrorReason = "error";
    internal const string UnconfirmedReason = "unconfirmed";
    internal const string ChatComponent = "chat";
    internal const string ChatGenerator = "chat";
    internal const string ExtractiveGenerator = "extractive";
    internal const string WarmedOutcome = "warmed";
    internal const string FailedOutcome = "failed";

    internal static KeyValuePair<string, object?> Tier(string name) => new(TelemetryTags.Tier, name);
}
