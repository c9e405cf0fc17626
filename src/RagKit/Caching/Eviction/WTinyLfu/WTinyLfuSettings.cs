using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// Tuning of <see cref="WTinyLfuPolicy{TKey}"/> (internal: the trace harness sweeps it). Ghost knobs:
/// <c>GhostEntries</c> = entries the window moves per ghost hit (0 turns ghosts off), <c>GhostReach</c> /
/// <c>MainGhostReach</c> = how many recent evictions (× capacity) a ghost is remembered for, window side / main side
/// (0 = same as the window side), <c>GhostRecentRatio</c> = weigh a hit by how rare its side is among the remembered
/// evictions (ARC's |B2|/|B1|), <c>GrowSlack</c> = grow only when the returning key is at most that much rarer than
/// the main victim (-1 = always), <c>RandomAdmitThreshold</c> = frequency from which a losing candidate is admitted
/// at a 1/128 chance (0 = never). <c>Adaptive</c> turns on the hit-rate hill climber. Start-up duel:
/// <c>DuelLength</c> = accesses (× capacity) during which a shadow LRU over sampled key hashes runs next to the policy
/// (0 = off), checked every <c>DuelCheckEvery</c> × capacity accesses; when the shadow's hits exceed the policy's on the
/// same sampled keys by more than <c>DuelMargin</c> (relative) and <c>DuelMinLead</c> (absolute), the window jumps to
/// <c>DuelJumpTo</c> and the duel ends; with <c>DuelZ</c> &gt; 0 the lead must also exceed DuelZ × √(hits counted);
/// the shadow has at least <c>DuelMinShadow</c> slots (SHARDS-style sampling). With <c>DuelReturn</c> the duel goes on
/// after a jump with counts per check period, and once the policy leads the shadow (same test) in
/// <c>DuelReturnPeriods</c> periods in a row (or cumulatively since the jump, <c>DuelReturnCumulative</c>) the window
/// goes back to its share before the jump. Default: on (40 × capacity, jump to 90 %, lead above 3 √n, back after 2 periods).
/// Reverse duel (<c>ReverseDuel</c>): the policy starts with the window at <c>ReverseStartWindow</c> (1 = the whole
/// cache, exactly LRU) while the shadow
/// runs a W-TinyLFU with the small window <c>ReverseShadowWindow</c> (0 = <c>InitialWindow</c>) over the sampled hashes (sharing the frequency sketch); checked
/// every <c>ReverseCheckEvery</c> × capacity accesses (cumulative counts, lead above <c>ReverseMargin</c> and
/// <c>ReverseZ</c> √n, at least <c>ReverseMinLead</c> hits), a shadow lead hands the policy that window share; with <c>ReverseThenForward</c> the shadow
/// then turns into the LRU shadow of the forward duel for <c>DuelLength</c> more. The reverse phase lasts
/// <c>ReverseLength</c> × capacity accesses; without a hand-over by then the policy stays LRU-like.
/// </summary>
internal sealed record WTinyLfuSettings(
    double InitialWindow = 0.01,
    int WidthFactor = 8,
    int SampleFactor = 16,
    int MinWidth = 1024,
    int MinSample = 10_000,
    int ClimberSampleFactor = 10,
    double Step = 0.0625,
    double MaxWindow = 1.0,
    bool Adaptive = false,
    double InitialDirection = 1,
    int ClimberMinSample = 100,
    double StepDecay = 0.98,
    double RestartThreshold = 0.05,
    double GhostEntries = 1,
    double GhostReach = 0.25,
    double MainGhostReach = 0,
    bool GhostShrink = true,
    bool GhostRecentRatio = true,
    int GrowSlack = -1,
    int RandomAdmitThreshold = 6,
    double GhostMomentum = 0,
    double DuelLength = 40,
    double DuelCheckEvery = 1,
    double DuelMargin = 0.05,
    int DuelMinLead = 4,
    double DuelJumpTo = 0.9,
    int DuelMinShadow = 512,
    double DuelZ = 3,
    bool DuelReturn = true,
    int DuelReturnPeriods = 2,
    bool DuelReturnCumulative = false,
    bool ReverseDuel = false,
    double ReverseCheckEvery = 0.5,
    double ReverseZ = 3,
    double ReverseMargin = 0.05,
    int ReverseMinLead = 4,
    bool ReverseThenForward = true,
    double ReverseLength = 40,
    double ReverseShadowWindow = 0,
    double ReverseStartWindow = 1.0,
    int AdmitSlack = 0)
{
    /// <summary>Starts as LRU and hands over to the small-window policy once a sampled shadow of it is 16 hits ahead (sweep round 5, #70; round 6, #80).</summary>
    public static WTinyLfuSettings LruFirst { get; } = new()
    {
        ReverseDuel = true,
        ReverseZ = 0,
        ReverseMargin = 0,
        ReverseMinLead = 16,
        ReverseLength = 1000,
        ReverseThenForward = false,
        ReverseShadowWindow = 0.1,
    };

    /// <summary>Caffeine's own tuning: the hill climber on the hit rate alone (no ghosts, no duel), window at most 80 % (round 2's default).</summary>
    public static WTinyLfuSettings HillClimber { get; } = new()
    {
        Adaptive = true,
        MaxWindow = 0.8,
        GhostEntries = 0,
        DuelLength = 0,
    };

    public static WTinyLfuSettings Default { get; } = new();
}
