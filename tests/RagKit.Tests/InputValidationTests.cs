namespace RagKit.Tests;

public sealed class InputValidationTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Acme = new("acme");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public async Task EmptyOrWhitespaceQuestionIsRejected(string question)
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await rag.AskAsync(question, new AskOptions(Acme)));
        Assert.Equal("question", ex.ParamName);
    }

    [Fact]
    public async Task NullQuestionIsRejected()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        ArgumentNullException ex = await Assert.ThrowsAsync<ArgumentNullException>(async () => await rag.AskAsync(null!, new AskOptions(Acme)));
        Assert.Equal("question", ex.ParamName);
    }

    [Fact]
    public async Task QuestionOverTheLengthLimitIsRejectedNamingTheLimit()
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
    public void NullDocumentTextIsRejected()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new RagDocument("doc", null!));
        Assert.Equal("text", ex.ParamName);
    }

    [Fact]
    public async Task DuplicateDocumentIdsInOneBatchAreRejectedAndStoredDataIsIntact()
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
    public async Task NullDocumentInABatchIsRejectedBeforeAnythingIsWritten()
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
    public void BadScopeNamesAreRejected(string tenant) =>
        Assert.Equal("tenant", Assert.Throws<ArgumentException>(() => new RagScope(tenant)).ParamName);

    [Fact]
    public void InvalidOptionsFailAtBuildNamingTheSetting()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() =>
            new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Configure(o => o.SemanticThreshold = 1.5f).Build());
        Assert.Equal("SemanticThreshold", ex.ParamName);

        ex = Assert.Throws<ArgumentException>(() =>
            new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Configure(o => o.ChunkOverlap = o.ChunkSize).Build());
        Assert.Equal("ChunkOverlap", ex.ParamName);
    }

    [Fact]
    public void BuildingWithoutAnEmbedderSaysWhatIsMissing()
    {
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => new RagPipelineBuilder().Build());
        Assert.Contains("UseEmbeddingGenerator", ex.Message, StringComparison.Ordinal);
    }
}
