namespace RagKit.Tests;

public sealed class IsolationAndInvalidationTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    [Fact]
    public async Task Randomized_asks_across_two_tenants_never_serve_one_tenants_answer_to_the_other()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        var tenantA = new RagScope("tenant-a");
        var tenantB = new RagScope("tenant-b");

        // Same document ids and questions, different facts per tenant.
        await rag.IngestAsync(tenantA, [new RagDocument("policy", "Refunds at Alpha Corp are paid within 7 days. The Alpha support line is open on weekdays.")]);
        await rag.IngestAsync(tenantB, [new RagDocument("policy", "Refunds at Beta Corp are paid within 21 days. The Beta support line is open every day.")]);

        string[] questions =
        [
            "How fast are refunds paid?", "how fast are refunds paid", "When are refunds paid?",
            "When is the support line open?", "What are the support line opening hours?", "How quickly do I get my refund?",
        ];
        var random = new Random(42);
        for (int i = 0; i < 120; i++)
        {
            bool isA = random.Next(2) == 0;
            string q = questions[random.Next(questions.Length)];
            RagAnswer answer = await rag.AskAsync(q, new AskOptions(isA ? tenantA : tenantB));

            Assert.DoesNotContain(isA ? "Beta" : "Alpha", answer.Text, StringComparison.Ordinal);
            Assert.Contains(isA ? "Alpha" : "Beta", answer.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Access_groups_are_part_of_the_cache_scope()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        await rag.IngestAsync(new RagScope("acme", "wiki", ["finance"]), [new RagDocument("budget", "The marketing budget for next year is 2 million euros.")]);
        await rag.IngestAsync(new RagScope("acme", "wiki"), [new RagDocument("public", "The marketing team plans two campaigns next year.")]);

        RagAnswer finance = await rag.AskAsync("What is the marketing budget for next year?", new AskOptions(new RagScope("acme", "wiki", ["finance"])));
        RagAnswer everyone = await rag.AskAsync("What is the marketing budget for next year?", new AskOptions(new RagScope("acme", "wiki")));

        Assert.Contains("2 million", finance.Text, StringComparison.Ordinal);
        Assert.Equal(AnswerTier.Generated, everyone.Tier);
        Assert.DoesNotContain("2 million", everyone.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Updating_a_source_document_stops_every_answer_built_from_it_being_served()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseChatClient(chat).Build();
        var scope = new RagScope("acme");
        await rag.IngestAsync(scope, Corpus.Documents);
        var options = new AskOptions(scope);
        await rag.AskAsync("How do I reset my password?", options);
        await rag.AskAsync("How long does express shipping take?", options);

        IngestResult result = await rag.IngestAsync(scope, [new RagDocument("passwords", "Passwords are now reset from the mobile app only: tap Profile, then Forgot password.")]);
        RagAnswer exact = await rag.AskAsync("How do I reset my password?", options);
        RagAnswer paraphrase = await rag.AskAsync("How can I reset my password?", options);
        RagAnswer unaffected = await rag.AskAsync("How long does express shipping take?", options);

        Assert.Equal(1, result.Updated);
        Assert.Equal(2, result.InvalidatedAnswers); // the exact and the semantic entry
        Assert.Equal(AnswerTier.Generated, exact.Tier);
        Assert.Contains("mobile app", exact.Citations.Single().Snippet, StringComparison.Ordinal);
        Assert.NotEqual(AnswerTier.Generated, paraphrase.Tier); // served from the new answer
        Assert.Equal(AnswerTier.Exact, unaffected.Tier);
        Assert.Equal(3, chat.Calls);
    }

    [Fact]
    public async Task Deleting_a_source_document_stops_every_answer_built_from_it_being_served()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        var scope = new RagScope("acme");
        await rag.IngestAsync(scope, Corpus.Documents);
        var options = new AskOptions(scope);
        RagAnswer before = await rag.AskAsync("Where do most volcanoes lie?", options);

        int deleted = await rag.DeleteDocumentsAsync(scope, ["volcanoes"]);
        RagAnswer exact = await rag.AskAsync("Where do most volcanoes lie?", options);
        RagAnswer paraphrase = await rag.AskAsync("Where are most volcanoes located?", options);

        Assert.Equal("volcanoes", before.Citations[0].DocumentId);
        Assert.Equal(1, deleted);
        Assert.Equal(AnswerTier.Generated, exact.Tier);
        Assert.Equal(AnswerTier.Generated, paraphrase.Tier);
        Assert.DoesNotContain(exact.Citations, c => c.DocumentId == "volcanoes");
        Assert.DoesNotContain(paraphrase.Citations, c => c.DocumentId == "volcanoes");
    }

    [Fact]
    public async Task Reingesting_unchanged_documents_keeps_their_cached_answers()
    {
        var chat = new CountingChatClient();
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseChatClient(chat).Build();
        var scope = new RagScope("acme");
        await rag.IngestAsync(scope, Corpus.Documents);
        await rag.AskAsync("How do I reset my password?", new AskOptions(scope));

        IngestResult again = await rag.IngestAsync(scope, Corpus.Documents);
        RagAnswer answer = await rag.AskAsync("How do I reset my password?", new AskOptions(scope));

        Assert.Equal(Corpus.Documents.Length, again.Unchanged);
        Assert.Equal(0, again.InvalidatedAnswers);
        Assert.Equal(AnswerTier.Exact, answer.Tier);
    }
}
