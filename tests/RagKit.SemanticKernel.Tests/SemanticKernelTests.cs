using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace RagKit.SemanticKernel.Tests;

public sealed class SemanticKernelTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>
{
#pragma warning disable SKEXP0001 // AsChatCompletionService is experimental
    private Kernel BuildKernel(CountingChatClient model)
    {
        IKernelBuilder kb = Kernel.CreateBuilder();
        kb.Services.AddSingleton<IChatCompletionService>(model.AsChatCompletionService());
        kb.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new CountingEmbedder(miniLm.Embedder));
        kb.AddRagKitPromptCache(o => o.SemanticThreshold = 0.90f);
        return kb.Build();
    }
#pragma warning restore SKEXP0001

    [Fact]
    public async Task A_paraphrased_prompt_is_served_from_cache_and_the_model_is_skipped()
    {
        var model = new CountingChatClient();
        Kernel kernel = BuildKernel(model);
        KernelFunction support = kernel.CreateFunctionFromPrompt("You are a support agent. Answer briefly: {{$input}}", functionName: "support");

        FunctionResult first = await kernel.InvokeAsync(support, new() { ["input"] = "How do I reset my password?", ["tenant"] = "acme" });
        FunctionResult second = await kernel.InvokeAsync(support, new() { ["input"] = "How can I reset my password?", ["tenant"] = "acme" });
        FunctionResult exact = await kernel.InvokeAsync(support, new() { ["input"] = "how do I reset my password", ["tenant"] = "acme" });

        Assert.Equal(1, model.Calls);
        Assert.Equal(first.ToString(), second.ToString());
        Assert.Equal("semantic", second.Metadata!["ragkit.tier"]);
        Assert.Equal("exact", exact.Metadata!["ragkit.tier"]);
    }

    [Fact]
    public async Task Another_tenant_or_an_unrelated_question_calls_the_model()
    {
        var model = new CountingChatClient();
        Kernel kernel = BuildKernel(model);
        KernelFunction support = kernel.CreateFunctionFromPrompt("Answer briefly: {{$input}}", functionName: "support");

        await kernel.InvokeAsync(support, new() { ["input"] = "How do I reset my password?", ["tenant"] = "acme" });
        await kernel.InvokeAsync(support, new() { ["input"] = "How do I reset my password?", ["tenant"] = "globex" });
        await kernel.InvokeAsync(support, new() { ["input"] = "What is the refund policy for damaged goods?", ["tenant"] = "acme" });
        Assert.Equal(3, model.Calls);
    }

    [Fact]
    public async Task The_plugin_asks_and_searches_the_registered_pipeline()
    {
        IKernelBuilder kb = Kernel.CreateBuilder();
        kb.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new CountingEmbedder(miniLm.Embedder));
        kb.AddRagKit().UseVectorStore(_ => RagKit.Retrieval.EmbeddedVectorStore.InMemory());
        Kernel kernel = kb.Build();
        var rag = kernel.Services.GetRequiredService<IRagPipeline>();
        await rag.IngestAsync(new RagScope("acme"), [new RagDocument("leave", "Employees get 25 days of paid leave per year.")], null, default);

        FunctionResult answer = await kernel.InvokeAsync("ragkit", "ask", new() { ["question"] = "How many days of leave do I get?", ["tenant"] = "acme" });
        FunctionResult search = await kernel.InvokeAsync("ragkit", "search", new() { ["query"] = "paid leave", ["tenant"] = "acme" });
        Assert.Contains("25 days", answer.ToString(), StringComparison.Ordinal);
        Assert.Contains("leave:", search.ToString(), StringComparison.Ordinal);
    }
}
