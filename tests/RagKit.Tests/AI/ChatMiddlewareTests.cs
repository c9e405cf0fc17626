using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RagKit.AI;
using RagKit.Diagnostics;

namespace RagKit.Tests.AI;

public sealed class ChatMiddlewareTests(MiniLmFixture miniLm) : IClassFixture<MiniLmFixture>
{
    private static ChatOptions Tenant(string tenant) => new() { AdditionalProperties = new() { [RagKitChatCacheOptions.TenantProperty] = tenant } };

    private IChatClient Build(CountingChatClient inner, Action<RagKitChatCacheOptions>? configure = null) =>
        new ChatClientBuilder(inner).UseRagKitCache(miniLm.Embedder, configure).Build();

    [Fact]
    public async Task A_paraphrase_is_served_from_the_semantic_tier_without_calling_the_model()
    {
        var inner = new CountingChatClient();
        using IChatClient client = Build(inner);

        ChatResponse first = await client.GetResponseAsync("How do I reset my password?", Tenant("acme"));
        ChatResponse exact = await client.GetResponseAsync("how do I reset my password", Tenant("acme"));
        ChatResponse paraphrase = await client.GetResponseAsync("How can I reset my password?", Tenant("acme"));

        Assert.Equal(1, inner.Calls);
        Assert.Null(first.AdditionalProperties?.GetValueOrDefault(RagKitChatCacheOptions.TierProperty));
        Assert.Equal("exact", exact.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
        Assert.Equal("semantic", paraphrase.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
        Assert.True((float)paraphrase.AdditionalProperties[RagKitChatCacheOptions.SimilarityProperty]! >= 0.90f);
        Assert.Equal(first.Text, paraphrase.Text);
    }

    [Fact]
    public async Task A_negated_message_is_a_miss_by_default_and_a_hit_only_under_the_static_rule()
    {
        foreach ((RagKit.Caching.ISemanticMatchRule? rule, int expectedCalls) in new[] { ((RagKit.Caching.ISemanticMatchRule?)null, 2), (RagKit.Caching.SemanticMatchRules.Static, 1) })
        {
            var inner = new CountingChatClient();
            using IChatClient client = Build(inner, o =>
            {
                o.SemanticThreshold = 0.85f;
                o.SemanticMatchRule = rule ?? o.SemanticMatchRule;
            });

            await client.GetResponseAsync("Can I withdraw cash abroad?", Tenant("acme"));
            ChatResponse negated = await client.GetResponseAsync("Can't I withdraw cash abroad?", Tenant("acme"));

            Assert.Equal(expectedCalls, inner.Calls);
            Assert.Equal(expectedCalls == 1 ? "semantic" : null, negated.AdditionalProperties?.GetValueOrDefault(RagKitChatCacheOptions.TierProperty));
        }
    }

    [Fact]
    public async Task An_unrelated_question_tenant_conversation_or_temperature_is_a_miss()
    {
        var inner = new CountingChatClient();
        using IChatClient client = Build(inner);
        await client.GetResponseAsync("How do I reset my password?", Tenant("acme"));

        await client.GetResponseAsync("What is the refund policy for damaged goods?", Tenant("acme"));
        Assert.Equal(2, inner.Calls);

        await client.GetResponseAsync("How do I reset my password?", Tenant("globex"));
        Assert.Equal(3, inner.Calls); // never served across tenants

        var options = Tenant("acme");
        options.Temperature = 0.9f;
        await client.GetResponseAsync("How do I reset my password?", options);
        Assert.Equal(4, inner.Calls); // options that change the answer are part of the key

        await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "I use the mobile app."), new ChatMessage(ChatRole.Assistant, "Noted."), new ChatMessage(ChatRole.User, "How do I reset my password?")],
            Tenant("acme"));
        Assert.Equal(5, inner.Calls); // a different prior conversation is a different key
    }

    [Fact]
    public async Task Concurrent_identical_misses_call_the_model_once()
    {
        var inner = new CountingChatClient { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using IChatClient client = Build(inner);

        Task<ChatResponse>[] asks = Enumerable.Range(0, 8).Select(_ => Task.Run(() => client.GetResponseAsync("What are the office opening hours?", Tenant("acme")))).ToArray();
        while (inner.Calls == 0)
        {
            await Task.Delay(5);
        }

        await Task.Delay(200); // let the other asks reach the cache and join the one in flight
        inner.Gate.SetResult();
        ChatResponse[] responses = await Task.WhenAll(asks);

        Assert.Equal(1, inner.Calls);
        Assert.All(responses, r => Assert.Equal(responses[0].Text, r.Text));
    }

    [Fact]
    public async Task Streaming_miss_is_cached_at_the_end_and_a_streaming_hit_replays_it()
    {
        var inner = new CountingChatClient();
        using IChatClient client = Build(inner);

        string streamed = string.Concat(await ToListAsync(client.GetStreamingResponseAsync("Where do I submit expense receipts?", Tenant("acme"))));
        List<ChatResponseUpdate> replay = [];
        await foreach (ChatResponseUpdate u in client.GetStreamingResponseAsync("Where should I submit my expense receipts?", Tenant("acme")))
        {
            replay.Add(u);
        }

        Assert.Equal(1, inner.Calls);
        Assert.True(replay.Count > 2); // replayed as several updates
        Assert.Equal(streamed, replay.ToChatResponse().Text);
        Assert.Equal("semantic", replay[^1].AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
        ChatResponse nonStreaming = await client.GetResponseAsync("Where do I submit expense receipts?", Tenant("acme"));
        Assert.Equal("exact", nonStreaming.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
    }

    [Fact]
    public void Bad_middleware_settings_throw_naming_the_setting()
    {
        var ex = Assert.Throws<ArgumentException>(() => Build(new CountingChatClient(), o => o.SemanticThreshold = 0f));
        Assert.Equal("SemanticThreshold", ex.ParamName);
    }

    [Fact]
    public async Task UseRagKitCache_takes_the_embedder_from_the_service_provider()
    {
        var inner = new CountingChatClient();
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new CountingEmbedder(miniLm.Embedder));
        services.AddChatClient(inner).UseRagKitCache();
        await using ServiceProvider sp = services.BuildServiceProvider();
        IChatClient client = sp.GetRequiredService<IChatClient>();

        await client.GetResponseAsync("How do I reset my password?");
        ChatResponse r = await client.GetResponseAsync("How can I reset my password?");
        Assert.Equal(1, inner.Calls);
        Assert.Equal("semantic", r.AdditionalProperties![RagKitChatCacheOptions.TierProperty]);
    }

    [Fact]
    public async Task The_embedding_cache_serves_repeats_and_stays_within_its_capacity()
    {
        var counting = new CountingEmbedder(miniLm.Embedder);
        using IEmbeddingGenerator<string, Embedding<float>> cached = new EmbeddingGeneratorBuilder<string, Embedding<float>>(counting).UseRagKitEmbeddingCache(capacity: 2).Build();

        var a1 = await cached.GenerateAsync("alpha");
        var a2 = await cached.GenerateAsync("alpha");
        Assert.Equal(1, counting.Texts);
        Assert.True(a1.Vector.Span.SequenceEqual(a2.Vector.Span));

        await cached.GenerateAsync(["beta", "gamma"]); // evicts alpha (capacity 2)
        Assert.Equal(3, counting.Texts);
        await cached.GenerateAsync("alpha");
        Assert.Equal(4, counting.Texts);
        await cached.GenerateAsync("gamma");
        Assert.Equal(4, counting.Texts);
    }

    [Fact]
    public async Task Metrics_are_emitted_with_the_documented_names_and_tier_tags()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string Name, string? Tier)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RagKitTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((inst, _, tags, _) => seen.Add((inst.Name, TierOf(tags))));
        listener.SetMeasurementEventCallback<double>((inst, _, tags, _) => seen.Add((inst.Name, TierOf(tags))));
        listener.Start();

        var inner = new CountingChatClient { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using IChatClient client = Build(inner);
        Task<ChatResponse> leader = client.GetResponseAsync("Is parking free for visitors?", Tenant("metrics"));
        while (inner.Calls == 0)
        {
            await Task.Delay(5);
        }

        Task<ChatResponse> joiner = client.GetResponseAsync("Is parking free for visitors?", Tenant("metrics"));
        await Task.Delay(200);
        inner.Gate.SetResult();
        await Task.WhenAll(leader, joiner);
        await client.GetResponseAsync("Is parking free for visitors?", Tenant("metrics"));
        await client.GetResponseAsync("Is visitor parking free?", Tenant("metrics"));

        // The pipeline's own instruments, through DI.
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(new CountingEmbedder(miniLm.Embedder));
        services.AddRagKit();
        await using (ServiceProvider sp = services.BuildServiceProvider())
        {
            IRagPipeline rag = sp.GetRequiredService<IRagPipeline>();
            var scope = new RagScope("metrics");
            await rag.IngestAsync(scope, [new RagDocument("p", "Visitor parking is free for the first two hours.")], null, default);
            await rag.AskAsync("Is visitor parking free?", new AskOptions(scope), default);
            await rag.AskAsync("Is visitor parking free?", new AskOptions(scope), default);
            await rag.IngestAsync(scope, [new RagDocument("p", "Visitor parking costs 2 euros per hour.")], null, default);
        }

        listener.RecordObservableInstruments();
        Assert.Contains(("ragkit.cache.hits", "exact"), seen);
        Assert.Contains(("ragkit.cache.hits", "semantic"), seen);
        Assert.Contains(("ragkit.cache.misses", "exact"), seen);
        Assert.Contains(("ragkit.cache.misses", "semantic"), seen);
        Assert.Contains(seen, m => m.Name == "ragkit.singleflight.joins");
        Assert.Contains(seen, m => m.Name == "ragkit.generations");
        Assert.Contains(seen, m => m.Name == "ragkit.ask.duration");
        Assert.Contains(seen, m => m.Name == "ragkit.generation.duration");
        Assert.Contains(seen, m => m.Name == "ragkit.lookup.duration");
        Assert.Contains(seen, m => m.Name == "ragkit.ingest.chunks");
        Assert.Contains(seen, m => m.Name == "ragkit.cache.invalidations");
    }

    private static string? TierOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var t in tags)
        {
            if (t.Key == "tier")
            {
                return t.Value?.ToString();
            }
        }

        return null;
    }

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        List<string> list = [];
        await foreach (ChatResponseUpdate u in updates)
        {
            list.Add(u.Text);
        }

        return list;
    }
}
