using RagKit.Caching;

/// <summary>Sweeps W-TinyLFU settings over the traces: how many cells beat LRU, and OLTP at 1,000 / 2,000.</summary>
internal static class Sweep
{
    public static void Run(List<(string Trace, long[] Keys, int[] Capacities)> rows)
    {
        if (Environment.GetEnvironmentVariable("SWEEP_DEBUG") is { } dbg)
        {
            // SWEEP_DEBUG=trace:capacity prints the window share of the second variant over time.
            string[] parts = dbg.Split(':');
            var row = rows.First(r => r.Trace.EndsWith(parts[0], StringComparison.Ordinal));
            int cap = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            var p = new WTinyLfuPolicy<long>(new EvictionPolicyContext(cap, cap), Variants()[int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)].S);
            var resident = new HashSet<long>();
            var lruPolicy = EvictionPolicyFactory.Lru.Create<long>(new EvictionPolicyContext(cap, cap));
            var lruResident = new HashSet<long>();
            long h = 0, lh = 0;
            for (int i = 0; i < row.Keys.Length; i++)
            {
                long k = row.Keys[i];
                if (resident.Contains(k)) { h++; p.OnAccessed(k); }
                else
                {
                    resident.Add(k);
                    p.OnInserted(k, new EvictionEntryInfo(1, 1));
                    while (resident.Count > cap && p.TryEvict(out long v)) { resident.Remove(v); }
                }

                if (lruResident.Contains(k)) { lh++; lruPolicy.OnAccessed(k); }
                else
                {
                    lruResident.Add(k);
                    lruPolicy.OnInserted(k, new EvictionEntryInfo(1, 1));
                    while (lruResident.Count > cap && lruPolicy.TryEvict(out long v)) { lruResident.Remove(v); }
                }

                if (i % (row.Keys.Length / 40) == 0) { Console.WriteLine($"{i,8} window {p.WindowFraction:P1} hits {h} lru {lh}"); }
            }

            return;
        }

        var variants = Variants();
        if (Environment.GetEnvironmentVariable("SWEEP_FIXED") is { } fixedShares)
        {
            // SWEEP_FIXED=0.5,0.9 runs fixed-window variants (no ghosts, no duel, no climber) at those window shares.
            variants = fixedShares.Split(',').Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture))
                .Select(f => ($"fixed window {f:P0}", WTinyLfuSettings.Default with { InitialWindow = f, GhostEntries = 0, DuelLength = 0, RandomAdmitThreshold = 0, AdmitSlack = int.Parse(Environment.GetEnvironmentVariable("SWEEP_SLACK") ?? "0", System.Globalization.CultureInfo.InvariantCulture) }))
                .ToArray();
        }
        else if (Environment.GetEnvironmentVariable("SWEEP_VARIANTS") is { } pick)
        {
            // SWEEP_VARIANTS=0,2 runs only those variants.
            variants = pick.Split(',').Select(i => variants[int.Parse(i, System.Globalization.CultureInfo.InvariantCulture)]).ToArray();
        }
        var lru = rows.Select(r => r.Capacities.Select(c => Simulator.Run(r.Keys, c, EvictionPolicyFactory.Lru.Create<long>(new EvictionPolicyContext(c, c)))).ToArray()).ToArray();
        foreach ((string name, WTinyLfuSettings s) in variants)
        {
            int wins = 0, cells = 0;
            double sumDelta = 0;
            var losses = new List<string>();
            string oltp = "";
            for (int i = 0; i < rows.Count; i++)
            {
                for (int j = 0; j < rows[i].Capacities.Length; j++)
                {
                    int c = rows[i].Capacities[j];
                    double w = Simulator.Run(rows[i].Keys, c, new WTinyLfuPolicy<long>(new EvictionPolicyContext(c, c), s));
                    cells++;
                    sumDelta += w - lru[i][j];
                    if (rows.Count <= 3)
                    {
                        losses.Add($"{rows[i].Trace}@{c}={w * 100:F2}");
                    }
                    else if (w > lru[i][j])
                    {
                        wins++;
                        if (Environment.GetEnvironmentVariable("SWEEP_ALL") is not null)
                        {
                            losses.Add($"{rows[i].Trace}@{c}:{(w - lru[i][j]) * 100:+0.00;-0.00}");
                        }
                    }
                    else
                    {
                        losses.Add($"{rows[i].Trace}@{c}:{(w - lru[i][j]) * 100:+0.00;-0.00}");
                    }

                    if (rows[i].Trace == "arc/OLTP" && j < 2)
                    {
                        oltp += $"{w * 100:F2} ";
                    }
                }
            }

            Console.WriteLine($"{name,-18} wins {wins}/{cells} meanΔ {sumDelta / cells * 100:+0.00} OLTP {oltp}| {string.Join(' ', losses)}");
        }
    }
    private static (string Name, WTinyLfuSettings S)[] Variants()
    {
        // Variants are relative to the round-3 settings (ghosts, no duel); the shipped default adds the start-up duel.
        var D = WTinyLfuSettings.Default;
        var L = WTinyLfuSettings.LruFirst;
        var d = WTinyLfuSettings.Default with { DuelLength = 0, DuelJumpTo = 1.0, DuelZ = 0, DuelReturn = false, DuelReturnPeriods = 1 };
        return new (string Name, WTinyLfuSettings S)[]
        {
            ("ghosts (1 entry/hit, reach 25 %), random admission, no duel (round-3 default)", d),
            ("previous default: hill climber, window <= 80 %", d with { MaxWindow = 0.8, Adaptive = true, GhostEntries = 0, RandomAdmitThreshold = 0 }),
            ("ghosts reach 100 %, 2 entries/hit", d with { GhostEntries = 2, GhostReach = 1 }),
            ("ghosts reach 50 %", d with { GhostReach = 0.5 }),
            ("ghosts + hill climber", d with { Adaptive = true }),
            ("ghosts, no random admission", d with { RandomAdmitThreshold = 0 }),
            ("ghosts, unweighted (no ARC ratio)", d with { GhostRecentRatio = false }),
            ("ghosts, grow only if returning key is as frequent (slack 1)", d with { GrowSlack = 1 }),
            ("ghosts, main-side reach 50 %", d with { MainGhostReach = 0.5 }),
            ("ghosts, initial window 25 %", d with { InitialWindow = 0.25 }),
            ("ghosts, momentum 16", d with { GhostMomentum = 16 }),
            ("ghosts, momentum 4", d with { GhostMomentum = 4 }),
            ("ghosts, momentum 64", d with { GhostMomentum = 64 }),
            ("duel 10x, jump 100 %", d with { DuelLength = 10 }),
            ("duel 20x, jump 100 %", d with { DuelLength = 20 }),
            ("duel 40x, jump 100 %", d with { DuelLength = 40 }),
            ("duel 20x, jump 90 %", d with { DuelLength = 20, DuelJumpTo = 0.9 }),
            ("duel 20x, jump 100 %, margin 20 %", d with { DuelLength = 20, DuelMargin = 0.2 }),
            ("duel 20x, jump 100 %, margin 0", d with { DuelLength = 20, DuelMargin = 0, DuelMinLead = 1 }),
            ("duel 20x, jump 100 %, shadow >= 256", d with { DuelLength = 20, DuelMinShadow = 256 }),
            ("duel 20x, jump 100 %, check every 4x", d with { DuelLength = 20, DuelCheckEvery = 4 }),
            ("duel 40x, jump 90 %", d with { DuelLength = 40, DuelJumpTo = 0.9 }),
            ("duel 40x, jump 95 %", d with { DuelLength = 40, DuelJumpTo = 0.95 }),
            ("duel 80x, jump 100 %", d with { DuelLength = 80 }),
            ("duel 40x, margin 3 %, lead >= 8", d with { DuelLength = 40, DuelMargin = 0.03, DuelMinLead = 8 }),
            ("duel 40x, check every 0.25x", d with { DuelLength = 40, DuelCheckEvery = 0.25 }),
            ("duel 40x, jump 90 %, lead >= 64", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelMinLead = 64 }),
            ("duel 40x, jump 90 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3 }),
            ("duel 40x, jump 100 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelZ = 3 }),
            ("duel 40x, jump 70 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelJumpTo = 0.7, DuelZ = 3 }),
            ("duel 40x, jump 50 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelJumpTo = 0.5, DuelZ = 3 }),
            ("duel 10x, jump 90 %, lead > 3 sqrt(n)", d with { DuelLength = 10, DuelJumpTo = 0.9, DuelZ = 3 }),
            ("duel 40x, jump 90 %, margin 50 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelMargin = 0.5 }),
            ("duel 40x, jump 90 %, margin 100 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelMargin = 1 }),
            ("duel 40x, jump 100 %, margin 100 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelZ = 3, DuelMargin = 1 }),
            ("duel 40x, jump 100 %, margin 200 %, lead > 3 sqrt(n)", d with { DuelLength = 40, DuelZ = 3, DuelMargin = 2 }),
            ("duel 40x, jump 90 %, lead > 3 sqrt(n), return", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelReturn = true }),
            ("duel 40x, jump 100 %, lead > 3 sqrt(n), return", d with { DuelLength = 40, DuelZ = 3, DuelReturn = true }),
            ("duel 40x, jump 100 %, lead > 2 sqrt(n), return", d with { DuelLength = 40, DuelZ = 2, DuelReturn = true }),
            ("duel 40x, jump 100 %, margin 2 %, return", d with { DuelLength = 40, DuelMargin = 0.02, DuelReturn = true }),
            ("duel 40x, jump 90 %, lead > 3 sqrt(n), return after 2 periods", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelReturn = true, DuelReturnPeriods = 2 }),
            ("duel 40x, jump 90 %, lead > 3 sqrt(n), return after 3 periods", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelReturn = true, DuelReturnPeriods = 3 }),
            ("duel 40x, jump 90 %, lead > 3 sqrt(n), return (cumulative)", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelReturn = true, DuelReturnCumulative = true }),
            ("duel 40x, jump 100 %, lead > 3 sqrt(n), return after 2 periods", d with { DuelLength = 40, DuelZ = 3, DuelReturn = true, DuelReturnPeriods = 2 }),
            ("duel 40x, jump 100 %, lead > 3 sqrt(n), return (cumulative)", d with { DuelLength = 40, DuelZ = 3, DuelReturn = true, DuelReturnCumulative = true }),
            ("duel 80x, jump 90 %, lead > 3 sqrt(n), return after 2 periods", d with { DuelLength = 80, DuelJumpTo = 0.9, DuelZ = 3, DuelReturn = true, DuelReturnPeriods = 2 }),
            ("duel 40x, jump 90 %, margin 2 %, lead >= 16, > 2 sqrt(n), return after 2", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelMargin = 0.02, DuelMinLead = 16, DuelZ = 2, DuelReturn = true, DuelReturnPeriods = 2 }),
            ("duel 80x, jump 90 %, margin 2 %, lead >= 16, > 2 sqrt(n), return after 2", d with { DuelLength = 80, DuelJumpTo = 0.9, DuelMargin = 0.02, DuelMinLead = 16, DuelZ = 2, DuelReturn = true, DuelReturnPeriods = 2 }),
            ("duel 40x, jump 90 %, lead > 3 sqrt(n), return after 2, check every 2x", d with { DuelLength = 40, DuelJumpTo = 0.9, DuelZ = 3, DuelReturn = true, DuelReturnPeriods = 2, DuelCheckEvery = 2 }),
            ("duel 40x, jump 95 %, lead > 3 sqrt(n), return after 2 periods", d with { DuelLength = 40, DuelJumpTo = 0.95, DuelZ = 3, DuelReturn = true, DuelReturnPeriods = 2 }),
            ("climber: 5x sample, step 12.5 %, window <= 100 %", d with { Adaptive = true, GhostEntries = 0, RandomAdmitThreshold = 0, ClimberSampleFactor = 5, Step = 0.125 }),
            // 51: the round-4 shipped default; 52+: round 5, reverse duel (start as LRU, hand over to the small window).
            ("round-4 default (duel 40x, jump 90 %, return after 2)", D),
            ("reverse: check 0.5x, 3 sqrt(n), then forward", D with { ReverseDuel = true }),
            ("reverse: check 0.5x, 3 sqrt(n), no forward", D with { ReverseDuel = true, ReverseThenForward = false }),
            ("reverse: check 0.25x, 3 sqrt(n), then forward", D with { ReverseDuel = true, ReverseCheckEvery = 0.25 }),
            ("reverse: check 1x, 3 sqrt(n), then forward", D with { ReverseDuel = true, ReverseCheckEvery = 1 }),
            ("reverse: check 0.5x, 2 sqrt(n), then forward", D with { ReverseDuel = true, ReverseZ = 2 }),
            ("reverse: check 0.5x, 2 sqrt(n), margin 0, then forward", D with { ReverseDuel = true, ReverseZ = 2, ReverseMargin = 0 }),
            ("reverse: check 0.5x, 4 sqrt(n), margin 10 %, then forward", D with { ReverseDuel = true, ReverseZ = 4, ReverseMargin = 0.1 }),
            ("reverse: check 0.5x, any lead >= 1, then forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1 }),
            ("reverse: check 0.5x, any lead >= 4, then forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 4 }),
            ("reverse: check 0.5x, lead >= 4 and > 1 sqrt(n), then forward", D with { ReverseDuel = true, ReverseZ = 1, ReverseMargin = 0, ReverseMinLead = 4 }),
            ("reverse: check 0.25x, any lead >= 1, then forward", D with { ReverseDuel = true, ReverseCheckEvery = 0.25, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1 }),
            ("reverse: check 0.5x, any lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseThenForward = false }),
            ("reverse 200x: check 0.5x, any lead >= 1, then forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 200 }),
            ("reverse 1000x: check 0.5x, any lead >= 1, then forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000 }),
            ("reverse 200x: check 0.5x, any lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 200, ReverseThenForward = false }),
            ("reverse 1000x: check 0.5x, any lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseThenForward = false }),
            ("reverse 1000x: check 0.5x, lead >= 4, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 4, ReverseLength = 1000, ReverseThenForward = false }),
            ("reverse 1000x, shadow window 5 %, lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseThenForward = false, ReverseShadowWindow = 0.05 }),
            ("reverse 1000x, shadow window 10 %, lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseThenForward = false, ReverseShadowWindow = 0.1 }),
            ("reverse 1000x, shadow window 20 %, lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseThenForward = false, ReverseShadowWindow = 0.2 }),
            ("reverse 1000x from 50 %, shadow window 5 %, lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseThenForward = false, ReverseShadowWindow = 0.05, ReverseStartWindow = 0.5 }),
            ("reverse 1000x from 80 %, shadow window 5 %, lead >= 1, no forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseThenForward = false, ReverseShadowWindow = 0.05, ReverseStartWindow = 0.8 }),
            ("reverse 1000x from 50 %, shadow window 5 %, lead >= 1, then forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseShadowWindow = 0.05, ReverseStartWindow = 0.5 }),
            ("reverse 1000x, shadow window 10 %, lead >= 1, then forward", D with { ReverseDuel = true, ReverseZ = 0, ReverseMargin = 0, ReverseMinLead = 1, ReverseLength = 1000, ReverseShadowWindow = 0.1 }),
            // 75+: round 6, the shipped LRU-first settings (L) with a stricter hand-over.
            ("LRU first (shipped)", L),
            ("LRU first, lead >= 2", L with { ReverseMinLead = 2 }),
            ("LRU first, lead >= 4", L with { ReverseMinLead = 4 }),
            ("LRU first, lead >= 8", L with { ReverseMinLead = 8 }),
            ("LRU first, lead >= 16", L with { ReverseMinLead = 16 }),
            ("LRU first, margin 1 %", L with { ReverseMargin = 0.01 }),
            ("LRU first, margin 2 %", L with { ReverseMargin = 0.02 }),
            ("LRU first, margin 5 %", L with { ReverseMargin = 0.05 }),
            ("LRU first, lead > 1 sqrt(n)", L with { ReverseZ = 1 }),
            ("LRU first, check every 1x", L with { ReverseCheckEvery = 1 }),
            ("LRU first, check every 0.25x", L with { ReverseCheckEvery = 0.25 }),
            ("LRU first, shadow window 15 %", L with { ReverseShadowWindow = 0.15 }),
            ("LRU first, shadow window 5 %", L with { ReverseShadowWindow = 0.05 }),
            ("LRU first, lead >= 24", L with { ReverseMinLead = 24 }),
            ("LRU first, lead >= 32", L with { ReverseMinLead = 32 }),
            ("LRU first, lead >= 64", L with { ReverseMinLead = 64 }),
            ("LRU first, lead >= 16, shadow window 15 %", L with { ReverseMinLead = 16, ReverseShadowWindow = 0.15 }),
            ("LRU first, lead >= 16, shadow window 20 %", L with { ReverseMinLead = 16, ReverseShadowWindow = 0.2 }),
            ("LRU first, lead >= 16, check every 0.25x", L with { ReverseMinLead = 16, ReverseCheckEvery = 0.25 }),
            ("LRU first, lead >= 12", L with { ReverseMinLead = 12 }),
            // 96+: Caffeine's hill climber alone (no ghosts, no duel), as a factory option.
            ("hill climber (Caffeine), window <= 80 %, random admission", d with { MaxWindow = 0.8, Adaptive = true, GhostEntries = 0 }),
            ("hill climber (Caffeine), window <= 100 %, random admission", d with { Adaptive = true, GhostEntries = 0 }),
        };
    }
}
