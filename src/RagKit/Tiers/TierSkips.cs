using System.Diagnostics.CodeAnalysis;

namespace RagKit.Tiers;

/// <summary>
/// The tiers one request skipped because they failed, exceeded their time budget, or could not be trusted; front ends
/// report them (for example <see cref="TierReport.SkippedTiers"/>).
/// </summary>
[Experimental(TierEngine.DiagnosticId)]
public sealed class TierSkips
{
    private List<string>? _names;

    /// <summary>The names of the skipped tiers, in the order they were skipped.</summary>
    public IReadOnlyList<string> Names => _names ?? (IReadOnlyList<string>)[];

    /// <summary>True when no tier was skipped.</summary>
    public bool IsEmpty => _names is null;

    /// <summary>Records a skipped tier.</summary>
    /// <param name="tier">The tier's name.</param>
    public void Add(string tier) => (_names ??= []).Add(tier);
}
