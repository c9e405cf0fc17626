// GPU against CPU embedding throughput, latency and equality on one host, plus SciFact ingestion end to end.
// Run on the GPU machine through eng/gpu/run.sh; locally: dotnet run -c Release --project eng/gpu/RagKit.Benchmarks.Gpu -- DATA [--quick]
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagKit;
using RagKit.Onnx;
using RagKit.Retrieval;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string data = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Path.Combine("..", "shared", "data");
bool quick = args.Contains("--quick");
bool noCpu = args.Contains("--no-cpu");
bool allowCpu = args.Contains("--allow-cpu"); // a local smoke run without CUDA

var abstracts = new List<string>();
var docs = new List<RagDocument>();
using (var gz = new GZipStream(File.OpenRead(Path.Combine(data, "rag", "scifact", "corpus.jsonl.gz")), CompressionMode.Decompress))
using (var reader = new StreamReader(gz))
{
    while (reader.ReadLine() is { } line)
    {
        using JsonDocument d = JsonDocument.Parse(line);
        string title = d.RootElement.GetProperty("title").GetString() ?? "";
        string text = d.RootElement.GetProperty("text").GetString() ?? "";
        abstracts.Add(title + ". " + text);
        docs.Add(new RagDocument(d.RootElement.GetProperty("_id").GetString()!, title + "\n" + text));
    }
}

List<string> questions = ReadBanking(Path.Combine(data, "semantic", "banking77", "train.csv"));
questions.AddRange(ReadBanking(Path.Combine(data, "semantic", "banking77", "test.csv")));
questions = [.. questions.Distinct(StringComparer.Ordinal)];
Console.WriteLine($"{abstracts.Count} SciFact abstracts, {questions.Count} distinct BANKING77 questions, {Environment.ProcessorCount} cores");

int gpuAbstracts = quick ? 64 : abstracts.Count;
int cpuAbstracts = quick ? 32 : 512;
int gpuQuestions = quick ? 256 : questions.Count;
int cpuQuestions = quick ? 128 : 2048;
int singles = quick ? 20 : 300;
var rows = new List<string>();

MiniLmEmbeddingGenerator Make(bool cuda, int batch, bool levers, bool poolInGraph = true, int inFlight = 3, int intraOpThreads = 0, bool? pipeline = null, bool half = false, bool fuse = true, int? kernels = -1, bool lean = true, bool graph = false) =>
    MiniLmEmbeddingGenerator.Create(new OnnxEmbeddingOptions
    {
        UseCuda = cuda, BatchSize = batch, MaxTokens = 256, CacheCapacity = 0, HostParallelism = levers,
        PoolInGraph = poolInGraph, CudaBatchesInFlight = inFlight, IntraOpThreads = intraOpThreads, PipelineBatches = pipeline,
        CudaHalfPrecision = half, FuseGraph = fuse, CudaAttentionKernels = kernels == -1 ? new OnnxEmbeddingOptions().CudaAttentionKernels : kernels,
        LeanTokenizer = lean, CudaGraphForSingleTexts = graph,
    }, ConsoleLog.Instance);

double Throughput(MiniLmEmbeddingGenerator g, List<string> texts, int count, int reps)
{
    g.GenerateAsync(texts.Take(Math.Min(count, 256)).ToList()).GetAwaiter().GetResult(); // warm-up: shapes, kernels
    var best = double.MaxValue;
    for (int r = 0; r < reps; r++)
    {
        var sw = Stopwatch.StartNew();
        g.GenerateAsync(texts.Take(count).ToList()).GetAwaiter().GetResult();
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
    }

    return count / best;
}

(double P50, double P99) Single(MiniLmEmbeddingGenerator g)
{
    for (int i = 0; i < 20; i++)
    {
        g.GenerateAsync([questions[^(i + 1)]]).GetAwaiter().GetResult();
    }

    var times = new double[singles];
    for (int i = 0; i < singles; i++)
    {
        var sw = Stopwatch.StartNew();
        g.GenerateAsync([questions[i]]).GetAwaiter().GetResult();
        times[i] = sw.Elapsed.TotalMilliseconds;
    }

    Array.Sort(times);
    return (times[singles / 2], times[(int)(singles * 0.99)]);
}

// The CUDA graph under concurrent single calls (threads of a server): every result against a regular batch.
if (args.Contains("--graph-threads"))
{
    using MiniLmEmbeddingGenerator withGraph = Make(true, 32, true, half: true, graph: true);
    using MiniLmEmbeddingGenerator plain = Make(true, 256, true, half: true);
    Console.WriteLine($"CUDA graph for single texts: {(withGraph.UsesCudaGraph ? "recorded and checked" : "not used")}");
    List<string> sample = questions.Take(2000).ToList();
    GeneratedEmbeddings<Embedding<float>> reference = plain.GenerateAsync(sample).GetAwaiter().GetResult();
    using MiniLmEmbeddingGenerator noGraph = Make(true, 32, true, half: true);
    foreach ((string name, MiniLmEmbeddingGenerator g, int threads) in new[] { 1, 4, 16 }.SelectMany(t => new[] { ("no graph", noGraph, t), ("graph", withGraph, t) }))
    {
        var cosines = new double[sample.Count];
        var times = new double[sample.Count];
        var sw = Stopwatch.StartNew();
        Parallel.For(0, sample.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var one = Stopwatch.StartNew();
            ReadOnlyMemory<float> v = g.GenerateAsync([sample[i]]).GetAwaiter().GetResult()[0].Vector;
            times[i] = one.Elapsed.TotalMilliseconds;
            cosines[i] = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(v.Span, reference[i].Vector.Span);
        });
        double wall = sw.Elapsed.TotalSeconds;
        Array.Sort(times);
        Console.WriteLine($"{name}, {threads} threads: {sample.Count} single calls in {wall:F2} s = {sample.Count / wall:N0}/s, p50 {times[times.Length / 2]:F3} ms, p99 {times[(int)(times.Length * 0.99)]:F3} ms, min cosine {cosines.Min():F6}");
    }

    return 0;
}

// Where the time goes, part 0: how far plain CPU work scales over this host's cores (a spin loop, no allocation).
{
    static double Spin(int threads)
    {
        const long Work = 400_000_000;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            double x = 1;
            for (long i = 0; i < Work / threads; i++)
            {
                x = x * 1.0000001 + 1e-9;
            }

            GC.KeepAlive(x);
        });
        return sw.Elapsed.TotalMilliseconds;
    }

    Spin(1);
    double one = Spin(1);
    double all = Spin(Environment.ProcessorCount);
    Console.WriteLine($"cpu scaling: the same work on 1 thread {one:F0} ms, on {Environment.ProcessorCount} threads {all:F0} ms = {one / all:F1}x");
}

// Where the time goes, part 1: tokenization alone (as a request does it: whole text, then truncation), best of 2,
// with BertTokenizer (reference) and WordPieceEncoder (lean, the default), on one core and across the cores.
foreach (bool lean in new[] { false, true })
{
    foreach (bool parallel in new[] { false, true })
    {
        using MiniLmEmbeddingGenerator t = Make(false, 128, parallel, lean: lean);
        foreach ((string name, List<string> texts) in new[] { ("abstracts", abstracts), ("questions", questions) })
        {
            string[] all = [.. texts.Take(quick ? 256 : texts.Count)];
            t.TokenizeOnly(all);
            double best = double.MaxValue;
            long tokens = 0;
            for (int r = 0; r < 2; r++)
            {
                var sw = Stopwatch.StartNew();
                tokens = t.TokenizeOnly(all);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }

            Console.WriteLine($"tokenization only, {(lean ? "lean" : "reference")}, {(parallel ? $"parallel ({Environment.ProcessorCount} cores)" : "one core")}: {all.Length} {name} ({tokens:N0} tokens kept) in {best * 1000:F0} ms = {all.Length / best:N0} {name}/s");
        }
    }
}

// The lean tokenizer's ids against the reference's on every text of both sets (truncation at 256 included).
using (MiniLmEmbeddingGenerator t = Make(false, 128, true))
{
    int differ = 0, total = 0;
    foreach (string text in abstracts.Concat(questions).Concat(docs.Select(d => d.Text)))
    {
        IReadOnlyList<int> reference = t.ReferenceIds(text);
        int[] lean = t.RequestIds(text, out int count);
        bool same = count == reference.Count && (reference.Count <= 256
            ? reference.SequenceEqual(lean)
            : reference.Take(255).SequenceEqual(lean.Take(255)) && lean.Length == 256);
        differ += same ? 0 : 1;
        total++;
    }

    Console.WriteLine($"tokenizer equality: {total - differ} of {total} texts get the reference's ids ({differ} differ)");
}

if (args.Contains("--tokenizer-only"))
{
    return 0;
}

// The fused fp16 attention: which of ONNX Runtime's kernels (sdpa_kernel bit mask; null = its own choice).
foreach (int? kernels in args.Contains("--kernels") ? new int?[] { null, 1, 2, 4, 8, 16 } : [])
{
    foreach ((int batch, int inFlight) in new[] { (64, 3), (256, 3) })
    {
        try
        {
            using MiniLmEmbeddingGenerator gpu = Make(true, batch, true, true, inFlight, pipeline: true, half: true, kernels: kernels);
            double a = Throughput(gpu, abstracts, gpuAbstracts, 2);
            double q = Throughput(gpu, questions, gpuQuestions, 2);
            (double p50, double p99) = Single(gpu);
            Console.WriteLine($"| fused fp16, sdpa_kernel {kernels?.ToString(CultureInfo.InvariantCulture) ?? "default"} | {batch} | {inFlight} | {a:N0} | {q:N0} | single p50 {p50:F3} p99 {p99:F3} ms |");
        }
        catch (Exception ex)
        {
            Console.WriteLine($"sdpa_kernel {kernels}: {ex.GetType().Name}: {ex.Message}");
        }
    }
}

if (args.Contains("--kernels-only"))
{
    return 0;
}

// GPU throughput, A/B in one run: (host levers, pooling in the graph, batch, batches in flight).
var gpuConfigs = quick
    ? new[] { (true, true, 64, 3, true, false, false), (true, true, 64, 3, true, false, true), (true, true, 64, 3, true, true, true) }
    : new[]
    {
        // (host levers, pooling in graph, batch, in flight, pipelined tokenization, fp16, fused graph)
        (true, true, 64, 3, true, false, false), (true, true, 256, 3, true, false, false),
        (true, true, 64, 3, true, true, false), (true, true, 256, 3, true, true, false),
        (true, true, 64, 3, true, false, true), (true, true, 256, 3, true, false, true),
        (true, true, 64, 3, true, true, true), (true, true, 128, 3, true, true, true), (true, true, 256, 3, true, true, true),
        (true, true, 512, 3, true, true, true), (true, true, 64, 4, true, true, true), (true, true, 256, 4, true, true, true),
        (true, true, 128, 2, true, true, true),
    };
// The default configuration with the reference tokenizer, for the same-run ratio of the lean one.
foreach ((int batch, int inFlight) in quick ? new[] { (64, 4) } : new[] { (64, 4), (256, 4) })
{
    using MiniLmEmbeddingGenerator gpu = Make(true, batch, true, true, inFlight, pipeline: true, half: true, lean: false);
    double a = Throughput(gpu, abstracts, gpuAbstracts, 2);
    double q = Throughput(gpu, questions, gpuQuestions, 2);
    rows.Add($"| GPU fused fp16, reference tokenizer (BertTokenizer) | {batch} | {inFlight} | {a:N0} | {q:N0} |");
    Console.WriteLine(rows[^1]);
}

foreach ((bool levers, bool pool, int batch, int inFlight, bool pipeline, bool half, bool fuse) in gpuConfigs)
{
    using MiniLmEmbeddingGenerator gpu = Make(true, batch, levers, pool, inFlight, pipeline: pipeline, half: half, fuse: fuse);
    if (!gpu.UsesCuda && !allowCpu)
    {
        Console.WriteLine("CUDA did not start: see the warning above.");
        return 1;
    }

    double a = Throughput(gpu, abstracts, gpuAbstracts, 2);
    double q = Throughput(gpu, questions, gpuQuestions, 2);
    string tag = !levers ? "GPU baseline (host levers off, host pooling)"
        : (pool ? "GPU levers on, pooling in graph" : "GPU levers on, host pooling") + (pipeline ? ", pipelined tokenization" : "") + (fuse ? ", fused graph" : ", exported graph") + (half ? ", fp16" : ", fp32");
    rows.Add($"| {tag} | {batch} | {(levers ? inFlight : 1)} | {a:N0} | {q:N0} |");
    Console.WriteLine(rows[^1]);
}

var singleRows = new List<string>();
void SingleRow(string name, MiniLmEmbeddingGenerator g)
{
    (double p50, double p99) = Single(g);
    singleRows.Add($"single question, {name}: p50 {p50:F3} ms, p99 {p99:F3} ms ({singles} calls)");
    Console.WriteLine(singleRows[^1]);
}

using (MiniLmEmbeddingGenerator g = Make(true, 32, true, fuse: false))
{
    SingleRow("GPU, pooling in graph, exported graph, fp32", g);
}

using (MiniLmEmbeddingGenerator g = Make(true, 32, true))
{
    SingleRow("GPU, pooling in graph, fused graph, fp32", g);
}

using (MiniLmEmbeddingGenerator g = Make(true, 32, true, half: true))
{
    SingleRow("GPU, pooling in graph, fused graph, fp16", g);
}

using (MiniLmEmbeddingGenerator g = Make(true, 32, true, half: true, graph: true))
{
    Console.WriteLine($"CUDA graph for single texts: {(g.UsesCudaGraph ? "recorded and checked" : "not used (see the log above)")}");
    SingleRow("GPU, pooling in graph, fused graph, fp16, CUDA graph for single texts", g);
    if (g.UsesCudaGraph)
    {
        // Every single question through the replayed graph against the same question in a regular batch.
        using MiniLmEmbeddingGenerator plain = Make(true, 256, true, half: true);
        List<string> sample = questions.Take(singles).ToList();
        GeneratedEmbeddings<Embedding<float>> batch = plain.GenerateAsync(sample).GetAwaiter().GetResult();
        double min = 1;
        for (int i = 0; i < sample.Count; i++)
        {
            ReadOnlyMemory<float> one = g.GenerateAsync([sample[i]]).GetAwaiter().GetResult()[0].Vector;
            min = Math.Min(min, System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(one.Span, batch[i].Vector.Span));
        }

        Console.WriteLine($"CUDA graph equality: min cosine {min:F6} over {sample.Count} single questions against the regular session");
    }
}

using (MiniLmEmbeddingGenerator g = Make(true, 32, true, half: true, lean: false))
{
    SingleRow("GPU, pooling in graph, fused graph, fp16, reference tokenizer", g);
}

using (MiniLmEmbeddingGenerator g = Make(true, 32, true, intraOpThreads: 1, half: true))
{
    SingleRow("GPU, pooling in graph, fused graph, fp16, 1 intra-op thread", g);
}

if (!noCpu)
{
    foreach (bool fuse in new[] { false, true })
    {
        using MiniLmEmbeddingGenerator cpu = Make(false, 128, true, fuse: fuse);
        double a = Throughput(cpu, abstracts, cpuAbstracts, 1);
        double q = Throughput(cpu, questions, cpuQuestions, 1);
        rows.Add($"| CPU ({Environment.ProcessorCount} cores), pooling in graph, {(fuse ? "fused" : "exported")} graph | 128 | 1 | {a:N0} | {q:N0} |");
        Console.WriteLine(rows[^1]);
    }

    using (MiniLmEmbeddingGenerator cpu32 = Make(false, 32, true, fuse: false))
    {
        SingleRow("CPU, pooling in graph, exported graph", cpu32);
    }

    using (MiniLmEmbeddingGenerator cpu32 = Make(false, 32, true))
    {
        SingleRow("CPU, pooling in graph, fused graph", cpu32);
    }
}

Console.WriteLine();
Console.WriteLine("| embedder | batch | in flight | SciFact abstracts/s (256 tokens) | BANKING77 questions/s |");
Console.WriteLine("|---|---:|---:|---:|---:|");
rows.ForEach(Console.WriteLine);
Console.WriteLine();
singleRows.ForEach(Console.WriteLine);

if (!noCpu)
{
    // Equality: the same texts on both providers, cosine per text (vectors are unit length). The reference is the CPU
    // with host pooling and the exported graph (the results before pooling moved into the graph and the graph was fused).
    List<string> probe = [.. abstracts.Take(quick ? 16 : 512), .. questions.Take(quick ? 32 : 1024)];
    using MiniLmEmbeddingGenerator c = Make(false, 128, true, poolInGraph: false, fuse: false);
    var ce = c.GenerateAsync(probe).GetAwaiter().GetResult();
    foreach ((string name, bool cuda, bool half, bool fuse) in new[]
    {
        ("GPU, exported graph, fp32", true, false, false), ("GPU, fused graph, fp32", true, false, true),
        ("GPU, fused graph, fp16 (the default)", true, true, true), ("CPU, fused graph (the default)", false, false, true),
    })
    {
        using MiniLmEmbeddingGenerator g = Make(cuda, 128, true, half: half, fuse: fuse);
        var ge = g.GenerateAsync(probe).GetAwaiter().GetResult();
        double min = 1;
        int below = 0;
        for (int i = 0; i < probe.Count; i++)
        {
            double cos = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(ge[i].Vector.Span, ce[i].Vector.Span);
            min = Math.Min(min, cos);
            below += cos < 0.9999 ? 1 : 0;
        }

        Console.WriteLine($"equality {name} vs CPU host pooling over {probe.Count} texts: min cosine {min:F6}, {below} below 0.9999");
    }
}

// Ingestion of the SciFact corpus into the embedded store, end to end (chunking, embedding, HNSW, log).
foreach (bool cuda in noCpu || !args.Contains("--cpu-ingest") ? new[] { true } : new[] { true, false })
{
    int count = cuda ? (quick ? 20 : docs.Count) : (quick ? 10 : 500);
    string dir = Path.Combine(Path.GetTempPath(), "ragkit-gpu-ingest-" + (cuda ? "gpu" : "cpu"));
    if (Directory.Exists(dir))
    {
        Directory.Delete(dir, recursive: true);
    }

    using MiniLmEmbeddingGenerator embedder = Make(cuda, 128, true, half: cuda);
    embedder.GenerateAsync(abstracts.Take(128).ToList()).GetAwaiter().GetResult();
    using IRagPipeline rag = new RagPipelineBuilder()
        .UseEmbeddingGenerator(embedder)
        .UseVectorStore(EmbeddedVectorStore.Open(dir))
        .Configure(o => o.EmbeddingBatchSize = 512)
        .Build();
    var sw = Stopwatch.StartNew();
    IngestResult result = rag.IngestAsync(new RagScope("bench"), docs.Take(count)).GetAwaiter().GetResult();
    double s = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"ingestion {(cuda ? "GPU" : "CPU")}: {count} documents in {s:F1} s = {count / s:N0} documents/s ({result})");
}

return 0;

static List<string> ReadBanking(string path)
{
    var list = new List<string>();
    foreach (string line in File.ReadLines(path).Skip(1))
    {
        int comma = line.LastIndexOf(',');
        if (comma <= 0)
        {
            continue;
        }

        string text = line[..comma].Trim('"');
        list.Add(text);
    }

    return list;
}

/// <summary>Warnings and information from the generators, so a fallback (CUDA, the CUDA graph) says why.</summary>
internal sealed class ConsoleLog : Microsoft.Extensions.Logging.ILogger
{
    public static readonly ConsoleLog Instance = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel) && eventId.Name != "InputTruncated")
        {
            Console.WriteLine($"[{logLevel}] {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
