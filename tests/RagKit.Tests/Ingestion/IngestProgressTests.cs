namespace RagKit.Tests.Ingestion;

public sealed class IngestProgressTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    [Fact]
    public async Task Progress_is_reported_by_chunk_with_totals_before_the_first_write()
    {
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder)
            .Configure(o =>
            {
                o.ChunkSize = 200;
                o.ChunkOverlap = 20;
                o.EmbeddingBatchSize = 2;
            })
            .Build();
        string longText = string.Join(" ", Enumerable.Range(1, 40).Select(i => $"Sentence number {i} explains one more detail of the returns policy."));
        var reports = new List<IngestProgress>();
        var progress = new SyncProgress(reports);

        IngestResult result = await rag.IngestAsync(new RagScope("acme"), [new RagDocument("a", longText), new RagDocument("b", longText + " And one more.")], progress);

        Assert.True(result.Chunks >= 8, $"{result.Chunks} chunks");
        Assert.All(reports, r => Assert.Equal(result.Chunks, r.ChunksTotal));
        int[] embedded = reports.Select(r => r.ChunksEmbedded).ToArray();
        Assert.Equal(embedded.Order(), embedded);
        Assert.Equal(result.Chunks, embedded[^1]);

        // Before: one report at 0 and one at the end. Now the bar moves while the first document is still being embedded.
        Assert.True(reports.Count(r => r.DocumentsDone == 0 && r.ChunksEmbedded > 0 && r.ChunksEmbedded < result.Chunks) >= 2);
    }

    private sealed class SyncProgress(List<IngestProgress> reports) : IProgress<IngestProgress>
    {
        public void Report(IngestProgress value) => reports.Add(value);
    }
}
