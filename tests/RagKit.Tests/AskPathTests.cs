using RagKit.Retrieval;

namespace RagKit.Tests;

public sealed class AskPathTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Acme = new("acme");

    private async Task<IRagPipeline> BuildAsync(CountingChatClient? chat = null, Action<RagPipelineBuilder>? configure = null)
    {
        var builder = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseChatClient(chat);
        configure?.Invoke(builder);
        IRagPipeline rag = builder.Build();
        await rag.IngestAsync(Acme, Corpus.Documents);
        return rag;
    }

    [Fact]
    public async Task First_ask_is_generated_then_exact_then_paraphrase_is_semantic()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var options = new AskOptions(Acme);

        RagAnswer first = await rag.AskAsync("How do I reset my password?", options);
        RagAnswer again = await rag.AskAsync("  how do I RESET my password ", options);
        RagAnswer paraphrase = await rag.AskAsync("How can I reset my password?", options);

        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.Equal("passwords", first.Citations.Single().DocumentId);
        Assert.Equal(AnswerTier.Exact, again.Tier);
        Assert.Equal(first.Text, again.Text);
        Assert.Equal(AnswerTier.Semantic, paraphrase.Tier);
        Assert.Equal(first.Text, paraphrase.Text);
        Assert.True(paraphrase.Report.Similarity >= 0.90f, $"similarity {paraphrase.Report.Similarity}");
        Assert.Equal(1, chat.Calls);
    }

    [Fact]
    public async Task Semantic_hit_is_promoted_to_the_exact_tier()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var options = new AskOptions(Acme);

        await rag.AskAsync("How do I reset my password?", options);
        RagAnswer semantic = await rag.AskAsync("How can I reset my password?", options);
        RagAnswer promoted = await rag.AskAsync("How can I reset my password?", options);

        Assert.Equal(AnswerTier.Semantic, semantic.Tier);
        Assert.Equal(AnswerTier.Exact, promoted.Tier);
    }

    [Fact]
    public async Task Unrelated_question_is_not_served_from_cache()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var options = new AskOptions(Acme);

        await rag.AskAsync("How do I reset my password?", options);
        RagAnswer unrelated = await rag.AskAsync("How long does express shipping take?", options);

        Assert.Equal(AnswerTier.Generated, unrelated.Tier);
        Assert.Equal("shipping", unrelated.Citations.Single().DocumentId);
        Assert.Equal(2, chat.Calls);
    }

    [Fact]
    public async Task Without_chat_client_the_answer_is_extractive_and_cites_its_sources()
    {
        using IRagPipeline rag = await BuildAsync();
        RagAnswer answer = await rag.AskAsync("How long do I have to return an item for a refund?", new AskOptions(Acme));

        Assert.True(answer.IsExtractive);
        Assert.Equal(AnswerTier.Generated, answer.Tier);
        Assert.Contains("30 days", answer.Text, StringComparison.Ordinal);
        Assert.Equal("refunds", answer.Citations[0].DocumentId);
        Assert.Contains("[1]", answer.Text, StringComparison.Ordinal);
        Assert.Equal("refunds#0", answer.Citations[0].ChunkId);
    }

    [Fact]
    public async Task A_hundred_concurrent_identical_asks_cause_exactly_one_generation()
    {
        var chat = new CountingChatClient { Delay = TimeSpan.FromMilliseconds(300) };
        using IRagPipeline rag = await BuildAsync(chat);
        var options = new AskOptions(Acme);

        RagAnswer[] answers = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(_ => Task.Run(async () => await rag.AskAsync("What does standard shipping cost and how long does it take?", options))));

        Assert.Equal(1, chat.Calls);
        Assert.Single(answers.Select(a => a.Text).Distinct());
        Assert.Contains(answers, a => a.Report.JoinedInFlight);
    }

    [Fact]
    public async Task Changing_the_model_version_is_a_different_scope()
    {
        var chatA = new CountingChatClient { ModelId = "model-a" };
        var chatB = new CountingChatClient { ModelId = "model-b" };
        using IRagPipeline a = await BuildAsync(chatA);
        using IRagPipeline b = await BuildAsync(chatB);

        // Same scope object, different pipelines: the version stamp keeps their keys apart.
        await a.AskAsync("How do I reset my password?", new AskOptions(Acme));
        RagAnswer fromB = await b.AskAsync("How do I reset my password?", new AskOptions(Acme));
        Assert.Equal(AnswerTier.Generated, fromB.Tier);
        Assert.NotEqual(
            ((RagPipeline)a).VersionStamp,
            ((RagPipeline)b).VersionStamp);
    }

    [Fact]
    public async Task Streaming_yields_the_text_then_the_report_and_replays_cached_answers()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var options = new AskOptions(Acme);

        var first = new List<AnswerUpdate>();
        await foreach (AnswerUpdate u in rag.AskStreamingAsync("How do I reset my password?", options))
        {
            first.Add(u);
        }

        var second = new List<AnswerUpdate>();
        await foreach (AnswerUpdate u in rag.AskStreamingAsync("How do I reset my password?", options))
        {
            second.Add(u);
        }

        Assert.True(first.Count > 2);
        Assert.True(first[^1].IsFinal);
        Assert.Equal(first[^1].Answer!.Text, string.Concat(first.Select(u => u.Text)));
        Assert.Equal(AnswerTier.Generated, first[^1].Answer!.Tier);
        Assert.Equal(AnswerTier.Exact, second[^1].Answer!.Tier);
        Assert.Equal(first[^1].Answer!.Text, string.Concat(second.Select(u => u.Text)));
        Assert.True(second.Count > 2, "a cached answer replays as a stream");
        Assert.Equal(1, chat.Calls);
    }

    [Fact]
    public async Task A_failing_or_hanging_semantic_tier_is_skipped_and_the_question_is_still_answered()
    {
        var chat = new CountingChatClient();
        var failing = new BrokenSemanticTier(hang: false);
        var hanging = new BrokenSemanticTier(hang: true);
        using IRagPipeline rag = await BuildAsync(chat, b => b.AddSemanticCache(failing).AddSemanticCache(hanging));

        RagAnswer answer = await rag.AskAsync("How do I reset my password?", new AskOptions(Acme));

        Assert.Equal(AnswerTier.Generated, answer.Tier);
        Assert.Equal("passwords", answer.Citations.Single().DocumentId);
        Assert.Contains("failing", answer.Report.SkippedTiers);
        Assert.Contains("hanging", answer.Report.SkippedTiers);
        Assert.Equal(1, failing.Lookups);
        Assert.Equal(1, hanging.Lookups);

        // The in-process tiers still work around the broken ones.
        RagAnswer again = await rag.AskAsync("How can I reset my password?", new AskOptions(Acme));
        Assert.Equal(AnswerTier.Semantic, again.Tier);
    }

    [Fact]
    public async Task UseCache_false_neither_reads_nor_writes_the_caches()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var noCache = new AskOptions(Acme) { UseCache = false };

        await rag.AskAsync("How do I reset my password?", noCache);
        RagAnswer second = await rag.AskAsync("How do I reset my password?", new AskOptions(Acme));

        Assert.Equal(AnswerTier.Generated, second.Tier);
        Assert.Equal(2, chat.Calls);
    }

    [Fact]
    public async Task Report_wrong_answer_removes_it_from_every_tier()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var options = new AskOptions(Acme);
        await rag.AskAsync("How do I reset my password?", options);

        int removed = await rag.ReportWrongAnswerAsync("How do I reset my password?", options);
        RagAnswer again = await rag.AskAsync("How do I reset my password?", options);
        RagAnswer paraphrase = await rag.AskAsync("How can I reset my password?", options);

        Assert.Equal(2, removed);
        Assert.Equal(AnswerTier.Generated, again.Tier);
        Assert.Equal(AnswerTier.Semantic, paraphrase.Tier); // from the regenerated answer
        Assert.Equal(2, chat.Calls);
    }

    [Fact]
    public async Task Question_with_no_matching_documents_is_answered_but_not_cached()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);
        var empty = new AskOptions(new RagScope("acme", "empty-collection"));

        RagAnswer first = await rag.AskAsync("How do I reset my password?", empty);
        RagAnswer second = await rag.AskAsync("How do I reset my password?", empty);

        Assert.Empty(first.Citations);
        Assert.True(first.IsExtractive);
        Assert.Equal(AnswerTier.Generated, second.Tier);
    }

    [Fact]
    public async Task Vector_store_only_returns_chunks_the_scope_may_read()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        await rag.IngestAsync(new RagScope("acme", "hr", ["hr"]), [new RagDocument("salaries", "The salary band for senior engineers is 90,000 to 120,000 euros.")]);
        await rag.IngestAsync(new RagScope("acme", "hr"), [new RagDocument("holidays", "Everyone gets 28 days of paid holiday per year.")]);

        RagAnswer outsider = await rag.AskAsync("What is the salary band for senior engineers?", new AskOptions(new RagScope("acme", "hr")));
        RagAnswer insider = await rag.AskAsync("What is the salary band for senior engineers?", new AskOptions(new RagScope("acme", "hr", ["hr"])));

        Assert.DoesNotContain(outsider.Citations, c => c.DocumentId == "salaries");
        Assert.DoesNotContain("120,000", outsider.Text, StringComparison.Ordinal);
        Assert.Equal("salaries", insider.Citations[0].DocumentId);
    }
}
