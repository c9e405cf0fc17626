using Microsoft.Extensions.AI;
using RagKit.AI;

namespace RagKit.Tests.AI;

/// <summary>Bulk import of known question and answer pairs into the chat middleware, and the opt-out constant.</summary>
public sealed class ChatImportTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>
{
    private static ChatOptions Tenant(string tenant) => new() { AdditionalProperties = new() { [RagKitChatCacheOptions.TenantProperty] = tenant } };

    [Fact]
    public async Task Imported_answers_are_served_for_the_question_and_a_paraphrase_without_calling_the_model_and_only_in_their_scope()
    {
        var inner = new CountingChatClient();
        using var client = new RagKitCachingChatClient(inner, miniLm.Embedder);
        var faq = new Dictionary<string, string>
        {
            ["How do I reset my password?"] = "Open Settings, choose Security and press Reset password.",
            ["What are your opening hours?"] = "We are open from 9 to 17 on weekdays.",
        };

        Assert.Equal(2, await client.ImportAsync(faq, Tenant("acme")));

        ChatResponse exact = await client.GetResponseAsync("how do i reset my password", Tenant("acme"));
        ChatResponse paraphrase = await client.GetResponseAsync("How can I reset my password?", Tenant("acme"));
        Assert.Equal(0, inner.Calls);
        Assert.Equal("exact", exact.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
        Assert.Equal("semantic", paraphrase.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
        Assert.Equal(faq["How do I reset my password?"], paraphrase.Text);

        await client.GetResponseAsync("How do I reset my password?", Tenant("globex"));
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task Importing_a_question_again_replaces_its_answer_in_every_tier()
    {
        var inner = new CountingChatClient();
        using var client = new RagKitCachingChatClient(inner, miniLm.Embedder);
        await client.ImportAsync([new("How do I reset my password?", "Old answer.")]);
        await client.ImportAsync([new("How do I reset my password?", "New answer.")]);

        Assert.Equal("New answer.", (await client.GetResponseAsync("How do I reset my password?")).Text);
        Assert.Equal("New answer.", (await client.GetResponseAsync("How can I reset my password?")).Text);
        Assert.Equal(0, inner.Calls);
    }

    [Fact]
    public async Task A_bad_pair_imports_nothing_and_names_the_parameter()
    {
        var inner = new CountingChatClient();
        using var client = new RagKitCachingChatClient(inner, miniLm.Embedder);
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => client.ImportAsync([new("How do I reset my password?", "Fine."), new("Empty answer?", " ")]));
        Assert.Equal("pairs", e.ParamName);
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.ImportAsync(null!));

        await client.GetResponseAsync("How do I reset my password?");
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task A_response_marked_with_the_incomplete_constant_is_not_cached()
    {
        var inner = new MarkedChatClient();
        using var client = new RagKitCachingChatClient(inner, miniLm.Embedder);
        await client.GetResponseAsync("How do I reset my password?");
        await client.GetResponseAsync("How do I reset my password?");
        Assert.Equal(2, inner.Calls);
        Assert.Equal("ragkit.incomplete", RagKitChatCacheOptions.IncompleteProperty);
    }

    /// <summary>A stand-in model whose every response opts out of caching through the public constant.</summary>
    private sealed class MarkedChatClient : IChatClient
    {
        public int Calls { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "partial"))
            {
                FinishReason = ChatFinishReason.Stop,
                AdditionalProperties = new() { [RagKitChatCacheOptions.IncompleteProperty] = true },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
