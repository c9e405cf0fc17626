namespace RagKit.Diagnostics;

/// <summary>The names of the tags on RagKit's metrics and activities (docs/telemetry.md lists their values).</summary>
public static class TelemetryTags
{
    /// <summary>The tier a metric is about; a <see cref="TierNames"/> value or a custom tier's name. Value <c>"tier"</c>.</summary>
    public const string Tier = "tier";

    /// <summary>Why a tier was skipped: <c>timeout</c>, <c>error</c> or <c>unconfirmed</c>. Value <c>"reason"</c>.</summary>
    public const string Reason = "reason";

    /// <summary>Which RagKit front end counted a cache hit or miss: <c>chat</c> or <c>semantic-kernel</c>. Value <c>"component"</c>.</summary>
    public const string Component = "component";

    /// <summary>What generated an answer: <c>chat</c> or <c>extractive</c>. Value <c>"generator"</c>.</summary>
    public const string Generator = "generator";

    /// <summary>The prewarming policy's name. Value <c>"policy"</c>.</summary>
    public const string Policy = "policy";

    /// <summary>What became of a prewarmed question: <c>warmed</c> or <c>failed</c>. Value <c>"outcome"</c>.</summary>
    public const string Outcome = "outcome";

    /// <summary>On the <c>ragkit.ask</c> activity: the tier that served, as the metrics' <see cref="Tier"/> tag. Value <c>"ragkit.tier"</c>.</summary>
    public const string ActivityTier = "ragkit.tier";

    /// <summary>On the <c>ragkit.ingest</c> activity: how many documents were ingested. Value <c>"ragkit.documents"</c>.</summary>
    public const string ActivityDocuments = "ragkit.documents";
}
