using RagKit.Diagnostics;

namespace RagKit.Tiers;

/// <summary>
/// The tier metrics of one front end: every count carries the tier, and the front end's <c>component</c> tag when it
/// is not the pipeline (<c>chat</c>, <c>semantic-kernel</c>), so the front ends can be told apart on one dashboard.
/// </summary>
internal sealed class TierTelemetry(string? component, bool enabled = true)
{
    private readonly KeyValuePair<string, object?> _component = new(TelemetryTags.Component, component);
    private readonly bool _hasComponent = component is not null;

    public void Hit(string tier) => Add(RagKitTelemetry.Hits, 1, RagKitTelemetry.Tier(tier));

    public void Miss(string tier) => Add(RagKitTelemetry.Misses, 1, RagKitTelemetry.Tier(tier));

    public void Invalidated(string tier, int count) => Add(RagKitTelemetry.Invalidations, count, RagKitTelemetry.Tier(tier));

    public void Lookup(string tier, TimeSpan elapsed)
    {
        if (enabled)
        {
            RagKitTelemetry.LookupDuration.Record(elapsed.TotalMilliseconds, RagKitTelemetry.Tier(tier));
        }
    }

    public void Skipped(string tier, string reason)
    {
        if (!enabled)
        {
            return;
        }

        var reasonTag = new KeyValuePair<string, object?>(TelemetryTags.Reason, reason);
        if (_hasComponent)
        {
            RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(tier), reasonTag, _component);
        }
        else
        {
            RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(tier), reasonTag);
        }
    }

    private void Add(System.Diagnostics.Metrics.Counter<long> counter, long value, KeyValuePair<string, object?> tier)
    {
        if (!enabled)
        {
            return;
        }

        if (_hasComponent)
        {
            counter.Add(value, tier, _component);
        }
        else
        {
            counter.Add(value, tier);
        }
    }
}
