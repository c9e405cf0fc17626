// Generator benchmark: time-to-first-token with and without prompt-prefix KV reuse, and batched against
// sequential throughput, on a random-weight llama GGUF of 100M+ parameters written here.
//
//   dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Generator -- [--model file.gguf] [--tokens 32] [--threads 2] [--keep]
//
// With --pipeline it instead measures the full RagPipeline on the same model: a miss that generates against exact and
// semantic hits (--exact-repeats 50).
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using RagKit.LLamaSharp;
using RagKit.TestModels;

var argList = args.ToList();
string? Arg(string name) => argList.IndexOf(name) is var i and >= 0 && i + 1 < argList.Count ? argList[i + 1] : null;
var tokens = int.Parse(Arg("--tokens") ?? "32", CultureInfo.InvariantCulture);
var threads = int.Parse(Arg("--threads") ?? "2", CultureInfo.InvariantCulture);
var ttftRuns = int.Parse(Arg("--ttft-runs") ?? "5", CultureInfo.InvariantCulture);
var keep = argList.Contains("--keep");

var spec = new TinyGgufSpec
{
    EmbeddingLength = 768,
    BlockCount = 12,
    HeadCount = 12,
    HeadCountKv = 12,
    FeedForwardLength = 3072,
    ContextLength = 2048,
    WeightType = GgufTensorType.F16,
    WeightScale = 0.04f,
    OutputScale = 0.3f,
};

var modelPath = Arg("--model");
string? tempDir = null;
if (modelPath is null)
{
    tempDir = Path.Combine(Path.GetTempPath(), "ragkit-generator-bench-" + Guid.NewGuid().ToString("N"));
    modelPath = Path.Combine(tempDir, "random-113m-f16.gguf");
    var sw = Stopwatch.StartNew();
    TinyGgufWriter.Write(modelPath, spec);
    Console.WriteLine($"wrote {modelPath}: {spec.ParameterCount / 1e6:F1}M parameters, {new FileInfo(modelPath).Length / 1048576.0:F0} MiB, F16, in {sw.Elapsed.TotalSeconds:F1} s");
}

try
{
    if (argList.Contains("--pipeline"))
    {
        await PipelineBenchmark.RunAsync(modelPath, tokens, threads, int.Parse(Arg("--exact-repeats") ?? "50", CultureInfo.InvariantCulture));
        return;
    }

    // About 300 byte-level tokens of fixed system text.
    const string System =
        "You are the answer generator of a retrieval-augmented question answering service. Answer only from the " +
        "numbered sources given below, cite every claim as [1], [2] and so on, and say that you do not know when the " +
        "sources do not contain the answer. Keep answers short, plain and precise; never invent sources, numbers or names.";
    string[] questions =
    [
        "How do I reset my card PIN?", "Why was my transfer declined?", "Can I change my address online?",
        "What is the exchange rate fee?", "How long does a top-up take?", "Where is my new card?",
        "How do I close my account?", "Why is there an extra charge?",
    ];
    static ChatMessage[] Ask(string q) => [new(ChatRole.System, System), new(ChatRole.User, q)];

    LLamaSharpGeneratorOptions Options(bool reuse) => new()
    {
        ModelPath = modelPath,
        ContextSize = 2048,
        Threads = threads,
        MaxTokens = tokens,
        Temperature = 0,
        MaxConcurrentRequests = 8,
        ReusePromptPrefix = reuse,
        GenerationTimeout = TimeSpan.FromMinutes(10),
    };

    using (var probe = new LLamaSharpChatClient(Options(true)))
    {
        var r = await probe.GetResponseAsync(Ask(questions[0]), new ChatOptions { MaxOutputTokens = 1 });
        Console.WriteLine($"model id {probe.ModelId}; prompt = {r.Usage?.InputTokenCount} tokens (system prefix ~{System.Length + 1}), {tokens} generated tokens per answer, {threads} threads");
    }

    Console.WriteLine();
    Console.WriteLine("## Time to first token (sequential questions, median of " + ttftRuns + ")");
    Console.WriteLine();
    Console.WriteLine("| prefix reuse | median TTFT ms | min ms | max ms |");
    Console.WriteLine("|---|---:|---:|---:|");
    var ttft = new Dictionary<bool, double>();
    foreach (var reuse in new[] { false, true })
    {
        using var client = new LLamaSharpChatClient(Options(reuse));
        await client.GetResponseAsync(Ask("warm up"), new ChatOptions { MaxOutputTokens = 1 }); // evaluates the prefix once when reuse is on
        var samples = new List<double>();
        for (var i = 0; i < ttftRuns; i++)
        {
            var sw = Stopwatch.StartNew();
            await foreach (var update in client.GetStreamingResponseAsync(Ask(questions[i % questions.Length]), new ChatOptions { MaxOutputTokens = 1 }))
            {
                if (update.Text.Length > 0)
                {
                    break;
                }
            }

            samples.Add(sw.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        ttft[reuse] = samples[samples.Count / 2];
        Console.WriteLine($"| {(reuse ? "on" : "off")} | {ttft[reuse]:F1} | {samples[0]:F1} | {samples[^1]:F1} |");
    }

    Console.WriteLine();
    Console.WriteLine($"TTFT speed-up from prefix reuse: {ttft[false] / ttft[true]:F1}x");
    Console.WriteLine();
    Console.WriteLine($"## Throughput ({tokens} tokens per answer, prefix reuse on)");
    Console.WriteLine();
    Console.WriteLine("| questions | mode | wall s | tokens/s | questions/s | batched speed-up |");
    Console.WriteLine("|---:|---|---:|---:|---:|---:|");
    using (var client = new LLamaSharpChatClient(Options(true)))
    {
        await client.GetResponseAsync(Ask("warm up"), new ChatOptions { MaxOutputTokens = 2 });
        foreach (var n in new[] { 1, 4, 8 })
        {
            var batch = questions.Take(n).ToArray();

            var sw = Stopwatch.StartNew();
            long seqTokens = 0;
            foreach (var q in batch)
            {
                seqTokens += (await client.GetResponseAsync(Ask(q))).Usage?.OutputTokenCount ?? 0;
            }

            var seq = sw.Elapsed.TotalSeconds;

            sw.Restart();
            var results = await Task.WhenAll(batch.Select(q => client.GetResponseAsync(Ask(q))));
            var bat = sw.Elapsed.TotalSeconds;
            var batTokens = results.Sum(r => r.Usage?.OutputTokenCount ?? 0);

            Console.WriteLine($"| {n} | sequential | {seq:F2} | {seqTokens / seq:F1} | {n / seq:F2} | |");
            Console.WriteLine($"| {n} | batched | {bat:F2} | {batTokens / bat:F1} | {n / bat:F2} | {seq / bat:F2}x |");
        }
    }
}
finally
{
    if (tempDir is not null && !keep)
    {
        Directory.Delete(tempDir, recursive: true);
    }
}
