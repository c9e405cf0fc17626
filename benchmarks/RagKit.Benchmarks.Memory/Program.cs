using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using RagKit;
using RagKit.AI;
using RagKit.Caching;
using RagKit.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

// Managed bytes per scope that holds one cached answer, through the pipeline, the chat middleware and the Semantic
// Kernel prompt filter, with
// default settings: N tenants, one question each. The embedder is a deterministic stand-in (a bag of hash-seeded word
// vectors in MiniLM's 384 dimensions, so a question and a document that share words retrieve each other and the
// answer is cached) so that the run measures RagKit's structures, not the model. The pipeline run checks that every
// tenant's answer was cached (a second ask is an exact hit) after measuring.
// Usage: dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Memory [-- tenants [policy]]
// (policy: lru (the default), lfu, gdsf, wtinylfu, wtinylfu-lru-first, wtinylfu-hill-climber)
int tenants = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
string policyName = args.Length > 1 ? args[1] : "lru";
EvictionPolicyFactory policy = policyName switch
{
    "lru" => EvictionPolicyFactory.Lru,
    "lfu" => EvictionPolicyFactory.Lfu,
    "gdsf" => EvictionPolicyFactory.Gdsf,
    "wtinylfu" => EvictionPolicyFactory.WTinyLfu,
    "wtinylfu-lru-first" => EvictionPolicyFactory.WTinyLfuLruFirst,
    "wtinylfu-hill-climber" => EvictionPolicyFactory.WTinyLfuHillClimber,
    _ => throw new ArgumentException($"unknown policy '{policyName}'", nameof(args)),
};

Console.WriteLine($"Managed bytes per scope holding one cached answer ({tenants:N0} tenants, eviction policy {policy.Name}, other settings default)");
Console.WriteLine();
Console.WriteLine("| front end | bytes per scope | total for all scopes |");
Console.WriteLine("|---|---:|---:|");

using (var embedder = new HashEmbedder())
using (var chat = new EchoChatClient())
{
    // Pipeline: documents of every tenant are ingested first, so their store records are not counted per scope.
    using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).UseChatClient(chat).Configure(o => o.EvictionPolicy = policy).Build();
    var scopes = new RagScope[tenants];
    for (int i = 0; i < tenants; i++)
    {
        scopes[i] = new RagScope($"tenant-{i}");
        await rag.IngestAsync(scopes[i], [new RagDocument("faq", $"How fast do we ship orders? Tenant {i} ships orders within {i % 7 + 1} days.")]);
    }

    // One warm-up ask in a scratch tenant so that one-time costs (JIT, pools, statics) are not counted.
    var warm = new RagScope("warm-up");
    await rag.IngestAsync(warm, [new RagDocument("faq", "How fast do we ship orders? Within two days.")]);
    await rag.AskAsync("How fast do you ship orders?", new AskOptions(warm));

    long before = Measure();
    for (int i = 0; i < tenants; i++)
    {
        RagAnswer a = await rag.AskAsync("How fast do you ship orders?", new AskOptions(scopes[i]));
        if (a.Tier != AnswerTier.Generated)
        {
            throw new InvalidOperationException($"expected a generated answer in tenant {i}, got {a.Tier}");
        }
    }

    long after = Measure();
    Report("pipeline (RagPipeline)", before, after, tenants);
    for (int i = 0; i < tenants; i++)
    {
        RagAnswer again = await rag.AskAsync("How fast do you ship orders?", new AskOptions(scopes[i]));
        if (again.Tier != AnswerTier.Exact)
        {
            throw new InvalidOperationException($"tenant {i}: the answer was not cached (second ask: {again.Tier})");
        }
    }

    GC.KeepAlive(rag);
}

using (var embedder = new HashEmbedder())
using (var inner = new EchoChatClient())
{
    IChatClient client = new ChatClientBuilder(inner).UseRagKitCache(embedder, o =>
    {
        o.EvictionPolicy = policy;
        o.ScopeResolver = opts => (string)opts!.AdditionalProperties![RagKitChatCacheOptions.TenantProperty]!;
    }).Build();
    ChatOptions Options(string tenant) => new() { AdditionalProperties = new() { [RagKitChatCacheOptions.TenantProperty] = tenant } };
    await client.GetResponseAsync("How fast do you ship orders?", Options("warm-up"));

    var options = new ChatOptions[tenants];
    for (int i = 0; i < tenants; i++)
    {
        options[i] = Options($"tenant-{i}");
    }

    long before = Measure();
    for (int i = 0; i < tenants; i++)
    {
        await client.GetResponseAsync("How fast do you ship orders?", options[i]);
    }

    long after = Measure();
    Report("chat middleware (UseRagKitCache)", before, after, tenants);
    GC.KeepAlive(client);
}

using (var embedder = new HashEmbedder())
using (var inner = new EchoChatClient())
{
    IKernelBuilder kb = Kernel.CreateBuilder();
#pragma warning disable SKEXP0001 // AsChatCompletionService is experimental
    kb.Services.AddSingleton<IChatCompletionService>(inner.AsChatCompletionService());
#pragma warning restore SKEXP0001
    kb.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(embedder);
    kb.AddRagKitPromptCache(o => o.EvictionPolicy = policy);
    Kernel kernel = kb.Build();
    KernelFunction ask = kernel.CreateFunctionFromPrompt("Answer briefly: {{$input}}", functionName: "ask");
    await kernel.InvokeAsync(ask, new() { ["input"] = "How fast do you ship orders?", ["tenant"] = "warm-up" });

    long before = Measure();
    for (int i = 0; i < tenants; i++)
    {
        await kernel.InvokeAsync(ask, new() { ["input"] = "How fast do you ship orders?", ["tenant"] = $"tenant-{i}" });
    }

    long after = Measure();
    Report("Semantic Kernel prompt filter (AddRagKitPromptCache)", before, after, tenants);
    for (int i = 0; i < tenants; i++)
    {
        FunctionResult again = await kernel.InvokeAsync(ask, new() { ["input"] = "How fast do you ship orders?", ["tenant"] = $"tenant-{i}" });
        if (again.Metadata?.ContainsKey("ragkit.tier") != true)
        {
            throw new InvalidOperationException($"tenant {i}: the result was not cached (second invocation called the model)");
        }
    }

    GC.KeepAlive(kernel);
}

static long Measure()
{
    for (int i = 0; i < 3; i++)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    return GC.GetTotalMemory(forceFullCollection: true);
}

static void Report(string name, long before, long after, int n) =>
    Console.WriteLine($"| {name} | {(after - before) / (double)n:N0} | {(after - before) / 1024.0 / 1024.0:N1} MiB |");

/// <summary>Deterministic unit vectors: the sum of one hash-seeded random vector per lower-cased word, normalized.</summary>
internal sealed class HashEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    private static readonly char[] Separators = [' ', '?', '.', ',', '!', ':'];

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string v in values)
        {
            var vector = new float[384];
            foreach (string word in v.ToLowerInvariant().Split(Separators, StringSplitOptions.RemoveEmptyEntries))
            {
                byte[] seed = SHA256.HashData(Encoding.UTF8.GetBytes(word));
                var random = new Random(BitConverter.ToInt32(seed));
                for (int i = 0; i < vector.Length; i++)
                {
                    vector[i] += (float)(random.NextDouble() - 0.5);
                }
            }

            double norm = 1e-9;
            for (int i = 0; i < vector.Length; i++)
            {
                norm += vector[i] * vector[i];
            }

            for (int i = 0; i < vector.Length; i++)
            {
                vector[i] /= (float)Math.Sqrt(norm);
            }

            result.Add(new Embedding<float>(vector));
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>Answers at once, citing the first source.</summary>
internal sealed class EchoChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Orders ship within a few days [1].")));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse r = await GetResponseAsync(messages, options, cancellationToken);
        yield return new ChatResponseUpdate(ChatRole.Assistant, r.Text);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
