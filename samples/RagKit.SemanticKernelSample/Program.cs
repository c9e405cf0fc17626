// A Semantic Kernel app using RagKit, with no network: a local echo chat client stands in for the model.
// Run: dotnet run --project samples/RagKit.SemanticKernelSample
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using RagKit;
using RagKit.Retrieval;

var model = new EchoChatClient();
IKernelBuilder kb = Kernel.CreateBuilder();
kb.Services.AddSingleton<IChatCompletionService>(model.AsChatCompletionService());
kb.AddRagKit().AddOnnxEmbeddings().UseVectorStore(_ => EmbeddedVectorStore.InMemory()); // plugin "ragkit": ask, search
kb.AddRagKitPromptCache(o => o.SemanticThreshold = 0.90f);                                // serves prompt functions from cache
Kernel kernel = kb.Build();

KernelFunction support = kernel.CreateFunctionFromPrompt("You are a helpful support agent. Answer briefly: {{$input}}", functionName: "support");
foreach (string q in new[] { "How do I reset my password?", "How do I reset my password?", "How can I reset my password?", "What are the office opening hours?" })
{
    var sw = Stopwatch.StartNew();
    FunctionResult r = await kernel.InvokeAsync(support, new() { ["input"] = q, ["tenant"] = "acme" });
    string tier = r.Metadata?.TryGetValue("ragkit.tier", out object? t) == true ? $"cache hit ({t})" : "model called";
    Console.WriteLine($"{q,-40} -> {tier,-22} {sw.Elapsed.TotalMilliseconds,8:F2} ms  model calls so far: {model.Calls}");
}

var rag = kernel.Services.GetRequiredService<IRagPipeline>();
await rag.IngestAsync(new RagScope("acme"), [new RagDocument("leave", "Employees get 25 days of paid leave per year. Part-time staff get leave pro rata.")], null, default);
Console.WriteLine();
Console.WriteLine("ragkit.ask:    " + await kernel.InvokeAsync("ragkit", "ask", new() { ["question"] = "How many days of leave do I get?", ["tenant"] = "acme" }));
Console.WriteLine("ragkit.search: " + await kernel.InvokeAsync("ragkit", "search", new() { ["query"] = "paid leave", ["tenant"] = "acme", ["top"] = 1 }));

/// <summary>A local stand-in for a model: echoes the prompt after a pretend 300 ms of "thinking".</summary>
internal sealed class EchoChatClient : IChatClient
{
    private int _calls;

    public int Calls => _calls;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        await Task.Delay(300, cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "Echo: " + messages.Last().Text));
    }

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
