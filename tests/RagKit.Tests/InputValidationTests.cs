namespace RagKit.Tests;

public sealed class InputValidationTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Acme = new("acme");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public async Task Empty_or_whitespace_question_is_rejected(string question)
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await rag.AskAsync(question, new AskOptions(Acme)));
        Assert.Equal("question", ex.ParamName);
    }

    [Fact]
    public async Task Null_question_is_rejected()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        ArgumentNullException ex = await Assert.ThrowsAsync<ArgumentNullException>(async () => await rag.AskAsync(null!, new AskOptions(Acme)));
        Assert.Equal("question", ex.ParamName);
    }

    [Fact]
    public async Task Question_over_the_length_limit_is_rejected_naming_the_limit()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Configure(o => o.MaxQuestionLength = 100).Build();
        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await rag.AskAsync(new string('a', 101), new AskOptions(Acme)));
        Assert.Contains("MaxQuestionLength", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (AnswerUpdate _ in rag.AskStreamingAsync(new string('a', 101), new AskOptions(Acme)))
            {
            }
        });
    }

    [Fact]
    public void Null_document_text_is_rejected()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new RagDocument("doc", null!));
        Assert.Equal("text", ex.ParamName);
    }

    [Fact]
    public async Task Duplicate_document_ids_in_one_batch_are_rejected_and_stored_data_is_intact()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        await rag.IngestAsync(Acme, Corpus.Documents);

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(() => rag.IngestAsync(Acme,
        [
            new RagDocument("refunds", "Refunds are no longer offered."),
            new RagDocument("refunds", "Refunds are paid twice."),
        ]));
        RagAnswer answer = await rag.AskAsync("How long do I have to return an item for a refund?", new AskOptions(Acme));

        Assert.Contains("'refunds' appears more than once", ex.Message, StringComparison.Ordinal);
        Assert.Contains("30 days", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_document_in_a_batch_is_rejected_before_anything_is_written()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(() => rag.IngestAsync(Acme, [new RagDocument("a", "Alpha text."), null!]));
        RagAnswer answer = await rag.AskAsync("Alpha text", new AskOptions(Acme));

        Assert.Contains("index 1", ex.Message, StringComparison.Ordinal);
        Assert.Empty(answer.Citations);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("bad\u0001name")]
    public void Bad_scope_names_are_rejected(string tenant) =>
        Assert.Equal("tenant", Assert.Throws<ArgumentException>(() => new RagScope(tenant)).ParamName);

    [Fact]
    public void Invalid_options_fail_at_build_naming_the_setting()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() =>
            new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Configure(o => o.SemanticThreshold = 1.5f).Build());
        Assert.Equal("SemanticThreshold", ex.ParamName);

        ex = Assert.Throws<ArgumentException>(() =>
            new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Configure(o => o.ChunkOverlap = o.ChunkSize).Build());
        Assert.Equal("ChunkOverlap", ex.ParamName);
    }

    [Fact]
    public void Building_without_an_embedder_says_what_is_missing()
    {
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => new RagPipelineBuilder().Build());
        Assert.Contains("UseEmbeddingGenerator", ex.Message, StringComparison.Ordinal);
    }
}
