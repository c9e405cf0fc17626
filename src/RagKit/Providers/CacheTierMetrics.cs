using System.Diagnostics.CodeAnalysis;
using RagKit.Diagnostics;

namespace RagKit.Providers;

/// <summary>
/// Records a provider tier's events on RagKit's instruments (meter <see cref="RagKitTelemetry.MeterName"/>), tagged with
/// the tier's name, so that a provider's tier shows up next to the built-in ones.
/// </summary>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public static class CacheTierMetrics
{
    /// <summary>Adds <paramref name="count"/> entries evicted by the tier's policy to <c>ragkit.cache.evictions</c>.</summary>
    /// <param name="tier">The tier's name (its <see cref="RagKit.Caching.ISemanticAnswerCache.Name"/>).</param>
    /// <param name="count">How many entries were evicted.</param>
    public static void RecordEvictions(string tier, long count)
    {
        ArgumentNullException.ThrowIfNull(tier);
        RagKitTelemetry.Evictions.Add(count, RagKitTelemetry.Tier(tier));
    }
}
