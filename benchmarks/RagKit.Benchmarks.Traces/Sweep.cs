using RagKit.Caching;

/// <summary>Sweeps W-TinyLFU settings over the traces: how many cells beat LRU, and OLTP at 1,000 / 2,000.</summary>
internal static class Sweep
{
    public static void Run(List<(string Trace, long[] Keys, int[] Capacities)> rows)
    {
        var variants = new (string Name, WTinyLfuSettings S)[]
        {
            ("shipped default", WTinyLfuSettings.Default),
            ("Caffeine-like (4x width, 10x sample)", new WTinyLfuSettings(WidthFactor: 4, SampleFactor: 10, MinWidth: 16, MinSample: 0)),
            ("no hill climbing", WTinyLfuSettings.Default with { Adaptive = false }),
            ("climb: 5x sample", WTinyLfuSettings.Default with { ClimberSampleFactor = 5 }),
            ("climb: step 12.5 %", WTinyLfuSettings.Default with { Step = 0.125 }),
            ("climb: 5x sample, step 12.5 %", WTinyLfuSettings.Default with { ClimberSampleFactor = 5, Step = 0.125 }),
            ("initial window 5 %", WTinyLfuSettings.Default with { InitialWindow = 0.05 }),
        };
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
                    if (w > lru[i][j])
                    {
                        wins++;
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
}
