using RagKit.Caching;

/// <summary>
/// A synthetic RAG question stream: Zipf-distributed popularity, answer sizes 200 B–20 KB (log-uniform), generation
/// costs log-normal around 1 s. Every cache policy gets the same byte budget; we report the share of total generation
/// time that cache hits saved.
/// </summary>
internal static class CostWorkload
{
    public static void Run((string Name, EvictionPolicyFactory Factory)[] policies)
    {
        const int questions = 50_000;
        const int requests = 1_000_000;
        var rng = new Random(42);
        var size = new long[questions];
        var cost = new double[questions];
        long totalBytes = 0;
        for (int q = 0; q < questions; q++)
        {
            size[q] = (long)Math.Exp(Math.Log(200) + (rng.NextDouble() * (Math.Log(20_000) - Math.Log(200))));
            cost[q] = Math.Exp(0.8 * Gaussian(rng)); // log-normal, median 1 s, sigma 0.8
            totalBytes += size[q];
        }

        // Zipf(0.9) sampler over a random permutation (popularity independent of size and cost).
        var perm = Enumerable.Range(0, questions).OrderBy(_ => rng.Next()).ToArray();
        var cdf = new double[questions];
        double sum = 0;
        for (int i = 0; i < questions; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, 0.9);
            cdf[i] = sum;
        }

        var stream = new int[requests];
        for (int r = 0; r < requests; r++)
        {
            int idx = Array.BinarySearch(cdf, rng.NextDouble() * sum);
            stream[r] = perm[idx < 0 ? ~idx : idx];
        }

        double allCost = stream.Sum(q => cost[q]);
        Console.WriteLine();
        Console.WriteLine($"Cost-weighted workload: {questions:N0} questions (Zipf 0.9), {requests:N0} asks, sizes 200 B–20 KB, cost log-normal median 1 s (σ 0.8); all answers total {totalBytes / 1e6:F1} MB.");
        Console.WriteLine("| byte budget | " + string.Join(" | ", policies.Select(p => p.Name + " time saved (hit rate)")) + " |");
        Console.WriteLine("|---:|" + string.Concat(policies.Select(_ => "---:|")));
        foreach (double share in new[] { 0.01, 0.05, 0.10 })
        {
            long budget = (long)(totalBytes * share);
            var cells = new List<string>();
            foreach ((string _, EvictionPolicyFactory factory) in policies)
            {
                (double saved, double hitRate) = Simulate(stream, size, cost, budget, factory);
                cells.Add($"{saved / allCost * 100:F1} % ({hitRate * 100:F1} %)");
            }

            Console.WriteLine($"| {budget / 1e6:F2} MB ({share:P0}) | " + string.Join(" | ", cells) + " |");
        }
    }

    private static (double Saved, double HitRate) Simulate(int[] stream, long[] size, double[] cost, long budget, EvictionPolicyFactory factory)
    {
        // Entry bound: generous (the byte budget binds).
        IEvictionPolicy<int> policy = factory.Create<int>(new EvictionPolicyContext((int)Math.Min(budget / 200, 1 << 20), budget));
        var resident = new HashSet<int>();
        long bytes = 0;
        double saved = 0;
        long hits = 0;
        foreach (int q in stream)
        {
            if (resident.Contains(q))
            {
                saved += cost[q];
                hits++;
                policy.OnAccessed(q);
                continue;
            }

            resident.Add(q);
            bytes += size[q];
            policy.OnInserted(q, new EvictionEntryInfo(size[q], cost[q]));
            while (bytes > budget && policy.TryEvict(out int victim))
            {
                resident.Remove(victim);
                bytes -= size[victim];
            }
        }

        return (saved, (double)hits / stream.Length);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
