using Microsoft.Extensions.AI;
using RagKit.Ingestion;
using RagKit.Onnx;
using RagKit.Retrieval;
using Xunit;

namespace RagKit.Tests.Retrieval;

/// <summary>A chat client whose answers are cut off by the token limit, so the pipeline never caches them.</summary>
internal sealed class TruncatingChatClient : IChatClient
{
    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Refunds are possible within [1")) { FinishReason = ChatFinishReason.Length });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>The retrieval-result tier: between the semantic answer cache and the vector store.</summary>
public sealed class RetrievalCacheTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Acme = new("acme", "handbook");

    private static readonly RagDocument[] Handbook =
    [
        new("refunds", "Customers can get a full refund within 30 days of purchase. After 30 days, only store credit is offered."),
        new("shipping", "Standard shipping takes five business days. Express shipping arrives the next business day."),
        new("warranty", "All devices carry a two-year warranty that covers manufacturing defects but not accidental damage."),
    ];

    private (IRagPipeline Rag, CountingVectorStore Store) Build(IChatClient? chat = null, Action<RagKitOptions>? configure = null)
    {
        var store = new CountingVectorStore(EmbeddedVectorStore.InMemory());
        IRagPipeline rag = new RagPipelineBuilder()
            .UseEmbeddingGenerator(model.Embedder)
            .UseChatClient(chat)
            .UseVectorStore(store)
            .Configure(o => configure?.Invoke(o))
            .Build();
        return (rag, store);
    }

    [Fact]
    public async Task An_answer_that_was_not_cached_is_regenerated_from_the_cached_retrieval_without_querying_the_store()
    {
        var chat = new TruncatingChatClient();
        (IRagPipeline rag, CountingVectorStore store) = Build(chat);
        await rag.IngestAsync(Acme, Handbook);

        RagAnswer first = await rag.AskAsync("How long do I have to get a refund?", new AskOptions(Acme));
        RagAnswer second = await rag.AskAsync("How long do I have to get a refund?", new AskOptions(Acme));

        // Truncated answers are never cached, so both asks generate; only the first one searches the store.
        Assert.False(first.IsComplete);
        Assert.Equal(AnswerTier.Generated, second.Tier);
        Assert.Equal(2, chat.Calls);
        Assert.False(first.Report.RetrievalCached);
        Assert.True(second.Report.RetrievalCached);
        Assert.Equal(1, store.Searches);
    }

    [Fact]
    public async Task UseRetrievalCache_reuses_retrieval_while_answer_caches_are_bypassed_and_a_paraphrase_hits_by_similarity()
    {
        (IRagPipeline rag, CountingVectorStore store) = Build(configure: o => o.RetrievalThreshold = 0.80f);
        await rag.IngestAsync(Acme, Handbook);
        var options = new AskOptions(Acme) { UseCache = false, UseRetrievalCache = true };

        RagAnswer first = await rag.AskAsync("How long does standard shipping take?", options);
        RagAnswer again = await rag.AskAsync("How long does standard shipping take?", options);
        RagAnswer paraphrase = await rag.AskAsync("How long does the standard shipping take?", options);

        Assert.All(new[] { first, again, paraphrase }, a => Assert.Equal(AnswerTier.Generated, a.Tier));
        Assert.False(first.Report.RetrievalCached);
        Assert.True(again.Report.RetrievalCached);
        Assert.True(paraphrase.Report.RetrievalCached);
        Assert.Equal(1, store.Searches);
        Assert.Equal(first.Citations.Select(c => c.ChunkId), again.Citations.Select(c => c.ChunkId));

        // With every cache off the store is queried.
        RagAnswer uncached = await rag.AskAsync("How long does standard shipping take?", new AskOptions(Acme) { UseCache = false });
        Assert.False(uncached.Report.RetrievalCached);
        Assert.Equal(2, store.Searches);
    }

    [Fact]
    public async Task Updating_a_document_invalidates_cached_retrievals_and_the_new_text_is_retrieved()
    {
        (IRagPipeline rag, CountingVectorStore store) = Build();
        await rag.IngestAsync(Acme, Handbook);
        var options = new AskOptions(Acme) { UseCache = false, UseRetrievalCache = true };
        await rag.AskAsync("What does the warranty cover?", options);
        Assert.True((await rag.AskAsync("What does the warranty cover?", options)).Report.RetrievalCached);

        await rag.IngestAsync(Acme, [new RagDocument("warranty", "All devices carry a five-year warranty that covers defects and accidental damage.")]);
        RagAnswer after = await rag.AskAsync("What does the warranty cover?", options);

        Assert.False(after.Report.RetrievalCached);
        Assert.Equal(2, store.Searches);
        Assert.Contains("five-year", after.Text, StringComparison.Ordinal);
        Assert.True((await rag.AskAsync("What does the warranty cover?", options)).Report.RetrievalCached);
    }

    [Fact]
    public async Task Deleting_a_retrieved_document_invalidates_the_cached_retrieval()
    {
        (IRagPipeline rag, CountingVectorStore store) = Build();
        await rag.IngestAsync(Acme, Handbook);
        var options = new AskOptions(Acme) { UseCache = false, UseRetrievalCache = true };
        RagAnswer before = await rag.AskAsync("How long do I have to get a refund?", options);
        Assert.Contains(before.Citations, c => c.DocumentId == "refunds");

        await rag.DeleteDocumentsAsync(Acme, ["refunds"]);
        RagAnswer after = await rag.AskAsync("How long do I have to get a refund?", options);

        Assert.False(after.Report.RetrievalCached);
        Assert.Equal(2, store.Searches);
        Assert.DoesNotContain(after.Citations, c => c.DocumentId == "refunds");
    }

    [Fact]
    public async Task Cached_retrievals_are_never_shared_across_tenants_or_access_groups()
    {
        (IRagPipeline rag, CountingVectorStore store) = Build();
        var globex = new RagScope("globex", "handbook");
        var acmeHr = new RagScope("acme", "handbook", ["hr"]);
        await rag.IngestAsync(Acme, Handbook);
        await rag.IngestAsync(globex, [new RagDocument("refunds", "Globex never gives refunds.")]);

        RagAnswer a = await rag.AskAsync("How long do I have to get a refund?", new AskOptions(Acme) { UseCache = false, UseRetrievalCache = true });
        RagAnswer g = await rag.AskAsync("How long do I have to get a refund?", new AskOptions(globex) { UseCache = false, UseRetrievalCache = true });
        RagAnswer h = await rag.AskAsync("How long do I have to get a refund?", new AskOptions(acmeHr) { UseCache = false, UseRetrievalCache = true });

        Assert.False(g.Report.RetrievalCached);
        Assert.False(h.Report.RetrievalCached);
        Assert.Equal(3, store.Searches);
        Assert.Contains("Globex", g.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Globex", a.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_retrieval_cache_settings_are_rejected_naming_the_setting()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => Build(configure: o => o.RetrievalThreshold = 1.5f));
        Assert.Contains(nameof(RagKitOptions.RetrievalThreshold), ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Build(configure: o => o.RetrievalCapacityPerScope = -1));
        Assert.Contains(nameof(RagKitOptions.RetrievalCapacityPerScope), ex.Message, StringComparison.Ordinal);
    }
}
