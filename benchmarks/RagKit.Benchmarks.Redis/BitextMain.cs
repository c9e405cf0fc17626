using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RagKit.Caching;
using RagKit.Redis;

namespace RagKit.Benchmarks.Redis;

/// <summary>
/// <c>--bitext</c>: the Bitext evaluation (<see cref="BitextEvaluation"/>). <c>--bitext-latency</c>: the Redis tier's lookup
/// and store latency on the Bitext test stream (seed 7) under the default rule with answer vectors; API-only, so the same
/// file builds against an earlier commit for a before/after A/B.
/// </summary>
internal static class BitextMain
{
    public static async Task RunAsync(string[] args)
    {
        string? data = null, endpoint = null;
        int[] seeds = [7, 8, 9];
        int rounds = 5;
        int candidates = 8;
        for (int i = 0; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--data": data = args[++i]; break;
                case "--redis": endpoint = args[++i]; break;
                case "--seeds": seeds = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--candidates": candidates = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            }
        }

        string dataDir = BitextData.FindDataDir(data);
        string embeddings = Path.Combine(Path.GetTempPath(), "ragkit-semantic-embeddings-v1.bin");
        Process? server = null;
        string? dir = null;
        if (endpoint is null)
        {
            int port = FreePort();
            dir = Path.Combine(Path.GetTempPath(), "ragkit-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            server = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", $"--port {port} --bind 127.0.0.1 --dir {dir} --save \"\" --appendonly no") { RedirectStandardOutput = true, UseShellExecute = false })!;
            endpoint = $"127.0.0.1:{port}";
            Thread.Sleep(300);
        }

        try
        {
            if (args.Contains("--bitext-latency"))
            {
                await LatencyAsync(endpoint, dataDir, embeddings, rounds, candidates);
            }
            else
            {
                await BitextEvaluation.RunAsync(endpoint, dataDir, embeddings, seeds);
            }
        }
        finally
        {
            if (server is not null)
            {
                server.Kill();
                server.WaitForExit();
                Directory.Delete(dir!, true);
            }
        }
    }

    private static async Task LatencyAsync(string endpoint, string dataDir, string embeddingsPath, int rounds, int candidates)
    {
        (_, List<BitextQuery> test) = BitextData.Read(dataDir);
        List<BitextQuery> stream = BitextData.Shuffled(test, 7);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (BitextQuery q in stream)
        {
            keys.Add(q.Text);
            keys.Add(BitextData.AnswerPrefix + q.Response);
        }

        Dictionary<string, float[]> vectors = BitextData.ReadEmbeddings(embeddingsPath, keys);
        ISemanticMatchRule rule = SemanticMatchRules.Neighbourhood();
        RedisSemanticCacheOptions options = BitextStream.Options(endpoint);
        options.Candidates = candidates;
        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);

        // The stream fills the tier (a store after each miss) ...
        var storeWatch = Stopwatch.StartNew();
        var storeMicros = new List<double>();
        StreamResult r = await BitextStream.RunAsync(cache, "fill", stream, vectors, rule, 0.90f, answerVectors: true, null, storeMicros);
        double fillMs = storeWatch.Elapsed.TotalMilliseconds;
        storeMicros.Sort();

        // ... then every question of it is looked up again, rounds times (no stores).
        var scope = new RagScope("bitext").GetKey("bench");
        var micros = new List<double>();
        int served = 0;
        for (int round = 0; round < rounds; round++)
        {
            foreach (BitextQuery q in stream)
            {
                var query = new SemanticQuery(scope, QuestionNormalizer.Normalize(q.Text), vectors[q.Text], 0.90f) { Rule = rule };
                long start = Stopwatch.GetTimestamp();
                SemanticCacheHit? hit = await cache.FindAsync(query, default);
                micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                served += hit is null ? 0 : 1;
            }
        }

        micros.Sort();
        double Pct(double p) => micros[Math.Min(micros.Count - 1, (int)Math.Ceiling(p * micros.Count) - 1)];
        int stores = r.Queries - r.Hits;
        double StorePct(double p) => storeMicros[Math.Min(storeMicros.Count - 1, (int)Math.Ceiling(p * storeMicros.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bitext-latency ({candidates} candidates): stream {stream.Count} questions (test, seed 7): {r.Hits} hits / {stores} stores in {fillMs:F0} ms ({fillMs * 1000 / stream.Count:F0} µs per question); lookups {micros.Count}: mean {micros.Average():F1} µs, p50 {Pct(0.5):F1} µs, p90 {Pct(0.9):F1} µs, p99 {Pct(0.99):F1} µs; served {served}; stores mean {storeMicros.Average():F1} µs, p50 {StorePct(0.5):F1} µs, p99 {StorePct(0.99):F1} µs"));
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
