// Shared Redis semantic tier vs the naive design (scan all entries of the scope and compare on the client).
// Usage: dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Redis -- [--sizes 10000,100000] [--queries 1000] [--redis host:port]
//        dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Redis -- --bitext [--data dir] [--seeds 7,8,9]   (Bitext: answer links vs text vs in-process)
//        dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Redis -- --bitext-latency [--rounds 5]            (lookup latency on Bitext)
// Embedding is excluded: synthetic clustered 384-d normalized vectors. Starts its own redis-server unless --redis is given.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics.Tensors;
using RagKit;
using RagKit.Caching;
using RagKit.Redis;
using StackExchange.Redis;

if (args.Contains("--bitext") || args.Contains("--bitext-latency"))
{
    await RagKit.Benchmarks.Redis.BitextMain.RunAsync(args);
    return;
}

const int Dims = 384;
const float Threshold = 0.90f;
int[] sizes = [10_000, 100_000];
int queries = 1000;
string? endpoint = null;
int expansionAdd = 64, expansionSearch = 64;
for (int i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--sizes": sizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
        case "--queries": queries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--redis": endpoint = args[++i]; break;
        case "--expansion-add": expansionAdd = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--expansion-search": expansionSearch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
    }
}

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

Console.WriteLine($"redis {endpoint}; {Environment.ProcessorCount} cores; threshold {Threshold}; {Dims}-d clustered synthetic vectors; mirror int8 M=16 ef_add={expansionAdd} ef_search={expansionSearch}");
try
{
    foreach (int n in sizes)
    {
        await RunAsync(endpoint, n, n >= 100_000 ? queries : queries * 2, expansionAdd, expansionSearch);
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

static async Task RunAsync(string endpoint, int n, int queryCount, int expansionAdd, int expansionSearch)
{
    var rng = new Random(n);
    string prefix = "bench" + n;
    var options = new RedisSemanticCacheOptions
    {
        ConnectionString = endpoint,
        KeyPrefix = prefix,
        SemanticCapacityPerScope = n * 2,
        TierTimeout = TimeSpan.FromSeconds(5),
        StreamPollInterval = TimeSpan.FromMilliseconds(10),
    };
    using var writer = (RedisSemanticCacheImpl)RedisSemanticCache.Create(options);
    using var reader = (RedisSemanticCacheImpl)RedisSemanticCache.Create(options);
    reader.MirrorExpansionAdd = writer.MirrorExpansionAdd = expansionAdd;
    reader.MirrorExpansionSearch = writer.MirrorExpansionSearch = expansionSearch;
    ScopeKey scope = new RagScope("bench").GetKey("v1");
    string scopeHex = scope.Hash.ToString("x16", CultureInfo.InvariantCulture);

    // Data: entries around 1000 cluster centres (intra-cluster similarity ~0.56), queries near entries (0.89..0.97) or new points.
    int clusters = Math.Max(100, n / 100);
    float[][] centres = Enumerable.Range(0, clusters).Select(_ => Normalize(Gaussian(rng, Dims, 1f))).ToArray();
    var entries = new float[n][];
    for (int i = 0; i < n; i++)
    {
        entries[i] = Noisy(rng, centres[rng.Next(clusters)], 0.88f);
    }

    var queryVectors = new float[queryCount][];
    for (int i = 0; i < queryCount; i++)
    {
        queryVectors[i] = i % 2 == 0
            ? Noisy(rng, entries[rng.Next(n)], 0.25f + (0.25f * (float)rng.NextDouble()))
            : Noisy(rng, centres[rng.Next(clusters)], 0.88f);
    }

    // Bulk load with pipelined batches, in the tier's own format.
    var sw = Stopwatch.StartNew();
    IDatabase db = writer.Database;
    DateTimeOffset now = DateTimeOffset.UtcNow;
    const int batchSize = 2000;
    for (int start = 0; start < n; start += batchSize)
    {
        IBatch b = db.CreateBatch();
        var tasks = new List<Task>(batchSize * 2);
        for (int i = start; i < Math.Min(n, start + batchSize); i++)
        {
            ulong id = (ulong)i + 1;
            var answer = new CachedAnswer
            {
                Question = "q" + i, ScopeId = scope.Id, Text = "answer " + i, Citations = [], Provenance = [],
                CreatedAt = now, ExpiresAt = now.AddHours(2),
            };
            byte[] bytes = EntryCodec.EncodeEntry(entries[i], RedisEmbeddingEncoding.Float16, answer);
            tasks.Add(b.StringSetAsync(reader.EntryKey(scopeHex, id), bytes, TimeSpan.FromHours(2)));
            tasks.Add(b.HashSetAsync(reader.VectorsKey(scopeHex), EntryCodec.Hex(id), bytes.AsSpan(4, EntryCodec.VectorSize(RedisEmbeddingEncoding.Float16, Dims)).ToArray()));
        }

        b.Execute();
        await Task.WhenAll(tasks);
    }

    double loadRedis = sw.Elapsed.TotalSeconds;

    // A new instance builds its mirror from Redis (HSCAN of the scope's vector hash).
    sw.Restart();
    await reader.FindAsync(new SemanticQuery(scope, "warm", queryVectors[0], Threshold), CancellationToken.None);
    while (!reader.IsMirrorLoaded(scope.Hash))
    {
        await Task.Delay(20);
    }

    double loadMirror = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"\n== {n:N0} entries: bulk write to Redis {loadRedis:F1} s; mirror load on a new instance {loadMirror:F1} s ({reader.MirrorCount(scope.Hash):N0} entries)");

    // Ground truth: exact f32 search on the client.
    var truth = new int[queryCount];
    for (int q = 0; q < queryCount; q++)
    {
        int best = -1;
        float bestSim = Threshold;
        for (int i = 0; i < n; i++)
        {
            float s = TensorPrimitives.Dot(queryVectors[q], entries[i]);
            if (s >= bestSim)
            {
                bestSim = s;
                best = i;
            }
        }

        truth[q] = best;
    }

    int positives = truth.Count(t => t >= 0);

    // The tier: local ANN + one MGET, exact re-scoring.
    var lat = new double[queryCount];
    long rt0 = reader.RoundTrips;
    int found = 0, wrong = 0;
    for (int q = 0; q < queryCount; q++)
    {
        long t = Stopwatch.GetTimestamp();
        SemanticCacheHit? hit = await reader.FindAsync(new SemanticQuery(scope, "q", queryVectors[q], Threshold), CancellationToken.None);
        lat[q] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        if (hit is not null)
        {
            int idx = int.Parse(hit.Answer.Text.AsSpan(7), CultureInfo.InvariantCulture);
            if (idx == truth[q])
            {
                found++;
            }
            else if (truth[q] < 0 || TensorPrimitives.Dot(queryVectors[q], entries[idx]) < TensorPrimitives.Dot(queryVectors[q], entries[truth[q]]) - 1e-3f)
            {
                wrong++;
            }
            else
            {
                found++; // a tie within f16 rounding
            }
        }
    }

    double rtPerLookup = (double)(reader.RoundTrips - rt0) / queryCount;
    Array.Sort(lat);
    double p50 = Pct(lat, 0.50), p99 = Pct(lat, 0.99);
    Console.WriteLine($"mirror+MGET: p50 {p50:F3} ms, p99 {p99:F3} ms, round trips/lookup {rtPerLookup:F2}, recall {(double)found / positives:P2} ({found}/{positives} true hits), wrong hits {wrong}, {queryCount} queries");

    // The same lookups under the pipeline's default match rule: all nearest neighbours are fetched (their answers are
    // the neighbourhood) and the rule decides. Synthetic entries all have different answers, so the margin refuses
    // near-ties: this row is about cost, not recall.
    var ruleLat = new double[queryCount];
    long rt1 = reader.RoundTrips;
    int ruleHits = 0;
    RagKit.Caching.ISemanticMatchRule defaultRule = new RagKit.RagKitOptions().SemanticMatchRule;
    for (int q = 0; q < queryCount; q++)
    {
        long t = Stopwatch.GetTimestamp();
        SemanticCacheHit? hit = await reader.FindAsync(new SemanticQuery(scope, "q", queryVectors[q], Threshold) { Rule = defaultRule }, CancellationToken.None);
        ruleLat[q] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        ruleHits += hit is null ? 0 : 1;
    }

    Array.Sort(ruleLat);
    Console.WriteLine($"with the default rule ({defaultRule.Name}): p50 {Pct(ruleLat, 0.50):F3} ms ({Pct(ruleLat, 0.50) / p50:F2}x), p99 {Pct(ruleLat, 0.99):F3} ms ({Pct(ruleLat, 0.99) / p99:F2}x), round trips/lookup {(double)(reader.RoundTrips - rt1) / queryCount:F2}, served {ruleHits} of {queryCount}");

    // Naive: fetch every vector of the scope (HGETALL), compare on the client, GET the best.
    int naiveQueries = n >= 100_000 ? 10 : 50;
    var naiveLat = new double[naiveQueries];
    int naiveFound = 0, naivePositives = 0;
    var vec = new float[Dims];
    for (int q = 0; q < naiveQueries; q++)
    {
        long t = Stopwatch.GetTimestamp();
        HashEntry[] all = await db.HashGetAllAsync(reader.VectorsKey(scopeHex));
        float bestSim = Threshold;
        RedisValue bestField = RedisValue.Null;
        foreach (HashEntry e in all)
        {
            EntryCodec.TryDecodeVector((byte[])e.Value!, Dims, vec);
            float s = TensorPrimitives.CosineSimilarity(queryVectors[q], vec);
            if (s >= bestSim)
            {
                bestSim = s;
                bestField = e.Name;
            }
        }

        string? text = null;
        if (!bestField.IsNull)
        {
            RedisValue value = await db.StringGetAsync(reader.EntryKey(scopeHex, ulong.Parse((string)bestField!, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            EntryCodec.TryDecodeEntry((byte[])value!, Dims, vec, out CachedAnswer? a);
            text = a?.Text;
        }

        naiveLat[q] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        if (truth[q] >= 0)
        {
            naivePositives++;
            if (text == "answer " + truth[q])
            {
                naiveFound++;
            }
        }
    }

    Array.Sort(naiveLat);
    double np50 = Pct(naiveLat, 0.50), np99 = Pct(naiveLat, 0.99);
    Console.WriteLine($"naive scan:  p50 {np50:F3} ms, p99 {np99:F3} ms, round trips/lookup 2 (HGETALL of {n:N0} vectors + GET), recall {(naivePositives == 0 ? 1 : (double)naiveFound / naivePositives):P2}, {naiveQueries} queries");
    Console.WriteLine($"ratio naive/mirror: p50 {np50 / p50:F0}x, p99 {np99 / p99:F0}x");

    // Visibility: a write on one instance until the other's mirror holds it (separate small scope, same stream).
    ScopeKey vis = new RagScope("visibility").GetKey("v1");
    await writer.FindAsync(new SemanticQuery(vis, "w", queryVectors[0], Threshold), CancellationToken.None);
    await reader.FindAsync(new SemanticQuery(vis, "w", queryVectors[0], Threshold), CancellationToken.None);
    var visLat = new double[50];
    for (int i = 0; i < visLat.Length; i++)
    {
        int before = reader.MirrorCount(vis.Hash);
        var answer = new CachedAnswer
        {
            Question = "vis" + i, ScopeId = vis.Id, Text = "v", Citations = [], Provenance = [],
            CreatedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5),
        };
        long t = Stopwatch.GetTimestamp();
        await writer.StoreAsync(vis, queryVectors[i], answer, CancellationToken.None);
        while (reader.MirrorCount(vis.Hash) == before)
        {
            Thread.Sleep(0);
        }

        visLat[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    Array.Sort(visLat);
    Console.WriteLine($"visibility on another instance (write start -> in its mirror): p50 {Pct(visLat, 0.5):F1} ms, p99 {Pct(visLat, 0.99):F1} ms, max {visLat[^1]:F1} ms (poll interval 10 ms); naive: visible as soon as the write completes");
    await db.KeyDeleteAsync([reader.VectorsKey(scopeHex)]);
}

static double Pct(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static float[] Gaussian(Random rng, int d, float sigma)
{
    var v = new float[d];
    for (int i = 0; i < d; i++)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        v[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)) * sigma / MathF.Sqrt(d);
    }

    return v;
}

static float[] Normalize(float[] v)
{
    float norm = TensorPrimitives.Norm(v);
    TensorPrimitives.Divide(v, norm, v);
    return v;
}

static float[] Noisy(Random rng, float[] basis, float sigma)
{
    float[] g = Gaussian(rng, basis.Length, sigma);
    TensorPrimitives.Add(g, basis, g);
    return Normalize(g);
}

static int FreePort()
{
    var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    int port = ((IPEndPoint)l.LocalEndpoint).Port;
    l.Stop();
    return port;
}
