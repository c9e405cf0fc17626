// Staleness across instances (issue 13 A): N pipelines in one process, each with its own in-process tiers and Redis
// tier (through its own loopback proxy), sharing one real redis-server and one vector store. Askers ask about documents
// that change (an update or delete every --update-ms) and documents that never do; a generator stand-in writes the
// version markers of the sources it read into every answer, so a stale answer shows in its text. One scenario per
// fault: none, Redis killed and restarted empty, the updating instance cut off from Redis, another instance cut off for
// under a second, an ingest that fails part-way, an instance restarted.
//
//   dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Consistency -- [--instances 3] [--askers 12]
//       [--seconds 10] [--update-ms 250] [--gen-ms 30] [--window-ms 75] [--scenarios load,redis-down,...] [--hitpath]
using System.Diagnostics;
using System.Globalization;
using RagKit;
using RagKit.Benchmarks.Consistency;
using RagKit.Caching;
using RagKit.Redis;
using RagKit.Retrieval;
using RagKit.Redis.Tests;

int instances = Arg("--instances", 3), askers = Arg("--askers", 12), seconds = Arg("--seconds", 10);
int updateMs = Arg("--update-ms", 250), genMs = Arg("--gen-ms", 30), windowMs = Arg("--window-ms", 50);
string[] scenarios = ArgText("--scenarios", "load,redis-down,updater-cut,instance-cut,ingest-fail,restart").Split(',', StringSplitOptions.RemoveEmptyEntries);
const int VolatileDocs = 20, StableDocs = 30;
double msPerTick = 1000.0 / Stopwatch.Frequency;

Console.WriteLine($"{instances} instances, {askers} askers, {seconds} s per scenario, an update or delete every {updateMs} ms, generation {genMs} ms, freshness window {windowMs} ms, {Environment.ProcessorCount} cores");
Console.WriteLine("| scenario | asks | answers built from a version whose update had returned before the ask | latest, ms after that return | of them > 100 ms | hit rate, unchanged documents | asks that bypassed the caches (feed unconfirmed) | updates ok / failed | ask errors |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
if (!args.Contains("--no-warmup"))
{
    await RunScenarioAsync("warm-up (JIT, not a result)");
}

foreach (string scenario in scenarios)
{
    await RunScenarioAsync(scenario);
}

if (args.Contains("--hitpath"))
{
    await HitPathAsync();
}

async Task RunScenarioAsync(string scenario)
{
    using var redis = new RedisProcess();
    var proxies = Enumerable.Range(0, instances).Select(_ => new TcpProxy(redis.Port)).ToArray();
    IVectorStore store = EmbeddedVectorStore.InMemory();
    var embedder = new HashingEmbedder();
    var chat = new VersionChatClient(TimeSpan.FromMilliseconds(genMs));
    string prefix = "c" + Guid.NewGuid().ToString("N")[..8];
    var nodes = new Node?[instances];
    for (int i = 0; i < instances; i++)
    {
        nodes[i] = Node.Create(proxies[i].Endpoint, prefix, windowMs, store, embedder, chat);
    }

    var rng = new Random(42);
    string[] words = Enumerable.Range(0, (VolatileDocs + StableDocs) * 3).Select(i => "w" + XWord(i)).ToArray();
    string Id(int d) => d < VolatileDocs ? $"vol{d:00}" : $"sta{d - VolatileDocs:00}";
    string Topic(int d) => $"{words[3 * d]} {words[(3 * d) + 1]} {words[(3 * d) + 2]}";
    RagDocument Doc(int d, int version) => new(Id(d), $"{Topic(d)} holds value {version * 7}. [ver:{Id(d)}:{version}]");
    var versions = new int[VolatileDocs];
    var deleted = new bool[VolatileDocs];
    var scope = new RagScope("bench");
    var askOptions = new AskOptions(scope);
    await nodes[0]!.Pipeline.IngestAsync(scope, Enumerable.Range(0, VolatileDocs + StableDocs).Select(d => Doc(d, 0)).ToArray());

    var log = new VersionLog();
    var errorKinds = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    long bypassed = 0, asks = 0, stale = 0, staleLate = 0, worst = 0, stableAsks = 0, stableHits = 0, updatesOk = 0, updatesFailed = 0, errors = 0;
    bool measuring = false;
    using var stop = new CancellationTokenSource();
    var sw = Stopwatch.StartNew();
    TimeSpan warmup = TimeSpan.FromSeconds(2), total = warmup + TimeSpan.FromSeconds(seconds);

    async Task AskerAsync(int asker)
    {
        var r = new Random(asker);
        while (!stop.IsCancellationRequested)
        {
            int d = r.Next(2) == 0 ? r.Next(VolatileDocs) : VolatileDocs + r.Next(StableDocs);
            Node? node = nodes[asker % instances];
            if (node is null)
            {
                await Task.Delay(5);
                continue;
            }

            long start = Stopwatch.GetTimestamp();
            RagAnswer answer;
            try
            {
                answer = await node.Pipeline.AskAsync(Topic(d) + "?", askOptions);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                if (measuring)
                {
                    Interlocked.Increment(ref errors);
                    errorKinds.AddOrUpdate($"{ex.GetType().Name}: {ex.Message}", 1, (_, c) => c + 1);
                }

                continue;
            }

            long end = Stopwatch.GetTimestamp();
            if (!measuring)
            {
                continue;
            }

            Interlocked.Increment(ref asks);
            if (answer.Report.SkippedTiers.Any(t => t.Contains("unconfirmed", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref bypassed);
            }
            if (d >= VolatileDocs)
            {
                Interlocked.Increment(ref stableAsks);
                if (answer.Tier != AnswerTier.Generated)
                {
                    Interlocked.Increment(ref stableHits);
                }
            }

            foreach (System.Text.RegularExpressions.Match m in VersionChatClient.Marker().Matches(answer.Text))
            {
                string[] parts = m.Value.Trim('[', ']').Split(':');
                if (log.Lateness(parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture), start, end) is long late)
                {
                    Interlocked.Increment(ref stale);
                    if (late * msPerTick > 100)
                    {
                        Interlocked.Increment(ref staleLate);
                    }

                    long seen;
                    while ((seen = Interlocked.Read(ref worst)) < late && Interlocked.CompareExchange(ref worst, late, seen) != seen)
                    {
                    }

                    break;
                }
            }
        }
    }

    async Task UpdaterAsync()
    {
        var r = new Random(7);
        bool failedIngestDone = false;
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(updateMs);
            if (!measuring)
            {
                continue;
            }

            Node? updater = nodes[0];
            if (updater is null)
            {
                continue;
            }

            if (scenario == "ingest-fail" && !failedIngestDone && sw.Elapsed > warmup + TimeSpan.FromSeconds(seconds / 2.0))
            {
                // All volatile documents in one ingest; the embedder throws on the 18th, after the first batch of 16 was written.
                failedIngestDone = true;
                RagDocument[] batch = Enumerable.Range(0, VolatileDocs).Select(d => Doc(d, ++versions[d])).ToArray();
                embedder.FailOn = $"[ver:{Id(17)}:{versions[17]}]";
                try
                {
                    await updater.Pipeline.IngestAsync(scope, batch);
                }
                catch (Exception)
                {
                    long at = Stopwatch.GetTimestamp();
                    for (int d = 0; d < 16; d++)
                    {
                        log.Committed(Id(d), versions[d], at); // written and committed in the first batch
                        deleted[d] = false;
                    }

                    Interlocked.Increment(ref updatesFailed);
                }

                embedder.FailOn = null;
                continue;
            }

            int doc = r.Next(VolatileDocs);
            int version = ++versions[doc];
            bool delete = !deleted[doc] && r.Next(100) < 15;
            try
            {
                if (delete)
                {
                    await updater.Pipeline.DeleteDocumentsAsync(scope, [Id(doc)]);
                }
                else
                {
                    await updater.Pipeline.IngestAsync(scope, [Doc(doc, version)]);
                }

                log.Committed(Id(doc), version, Stopwatch.GetTimestamp());
                deleted[doc] = delete;
                Interlocked.Increment(ref updatesOk);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref updatesFailed);
            }
        }
    }

    async Task FaultAsync()
    {
        TimeSpan at = warmup + TimeSpan.FromSeconds(seconds / 3.0);
        while (sw.Elapsed < at)
        {
            await Task.Delay(10);
        }

        switch (scenario)
        {
            case "redis-down":
                redis.Kill();
                await Task.Delay(2000);
                redis.Start();
                break;
            case "updater-cut":
                proxies[0].Cut();
                await Task.Delay(2000);
                proxies[0].Restore();
                break;
            case "instance-cut":
                proxies[instances - 1].Cut();
                await Task.Delay(800);
                proxies[instances - 1].Restore();
                break;
            case "restart":
                Node? old = nodes[1];
                nodes[1] = null;
                await Task.Delay(50);
                old?.Dispose();
                nodes[1] = Node.Create(proxies[1].Endpoint, prefix, windowMs, store, embedder, chat);
                break;
        }
    }

    var tasks = Enumerable.Range(0, askers).Select(a => Task.Run(() => AskerAsync(a))).Append(Task.Run(UpdaterAsync)).ToList();
    await Task.Delay(warmup);
    measuring = true;
    Task fault = FaultAsync();
    await Task.Delay(total - warmup);
    measuring = false;
    stop.Cancel();
    await fault;
    try
    {
        await Task.WhenAll(tasks);
    }
    catch (OperationCanceledException)
    {
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {scenario} | {asks} | {stale} | {(stale == 0 ? "—" : (worst * msPerTick).ToString("F0", CultureInfo.InvariantCulture))} | {staleLate} | {100.0 * stableHits / Math.Max(1, stableAsks):F2} % ({stableHits}/{stableAsks}) | {bypassed} | {updatesOk} / {updatesFailed} | {errors} |"));
    foreach ((string kind, int count) in errorKinds.OrderByDescending(e => e.Value).Take(3))
    {
        Console.Error.WriteLine($"  {scenario}: {count} x {kind}");
    }

    foreach (Node? n in nodes)
    {
        n?.Dispose();
    }

    foreach (TcpProxy p in proxies)
    {
        p.Dispose();
    }
}

async Task HitPathAsync()
{
    // The exact-hit path with the consistency gate (a caught-up Redis feed) against the same pipeline without any
    // shared tier, alternating rounds in one run; bytes allocated per ask and ns per ask, as ratios.
    using var redis = new RedisProcess();
    IVectorStore store = EmbeddedVectorStore.InMemory();
    var embedder = new HashingEmbedder();
    var chat = new VersionChatClient(TimeSpan.Zero);
    using Node gated = Node.Create(redis.Endpoint, "h" + Guid.NewGuid().ToString("N")[..8], 1000, store, embedder, chat);
    using IRagPipeline plain = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).UseChatClient(chat).UseVectorStore(store).Build();
    var scope = new RagScope("bench");
    var options = new AskOptions(scope);
    await gated.Pipeline.IngestAsync(scope, [new RagDocument("d", "wexact wpath wtopic holds value 1. [ver:d:1]")]);
    const string q = "wexact wpath wtopic?";
    while (!((IDocumentInvalidationFeed)gated.Cache).IsCaughtUp)
    {
        await Task.Delay(10);
    }

    await gated.Pipeline.AskAsync(q, options);
    await plain.AskAsync(q, options);
    const int n = 200_000;
    var bytes = new double[2];
    var ns = new double[2];
    for (int round = 0; round < 6; round++)
    {
        foreach ((int k, IRagPipeline p) in new[] { (0, plain), (1, gated.Pipeline) })
        {
            long b0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                ValueTask<RagAnswer> a = p.AskAsync(q, options);
                if (!a.IsCompletedSuccessfully || a.Result.Tier != AnswerTier.Exact)
                {
                    throw new InvalidOperationException("not an exact hit");
                }
            }

            if (round > 0)
            {
                ns[k] += Stopwatch.GetElapsedTime(t0).TotalNanoseconds / n;
                bytes[k] += (GC.GetAllocatedBytesForCurrentThread() - b0) / (double)n;
            }
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"exact hit through AskAsync, 5 alternating rounds of {n}: no shared tier {ns[0] / 5:F0} ns, {bytes[0] / 5:F1} B; Redis feed gate {ns[1] / 5:F0} ns, {bytes[1] / 5:F1} B; ratio time {ns[1] / ns[0]:F3}, bytes {bytes[1] / bytes[0]:F3}"));
}

static string XWord(int i) => string.Create(CultureInfo.InvariantCulture, $"{(uint)(i * 2654435761u):x8}");

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

string ArgText(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
