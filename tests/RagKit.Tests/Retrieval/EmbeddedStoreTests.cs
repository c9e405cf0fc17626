using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Tests.Retrieval;

public sealed class EmbeddedStoreTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Acme = new("acme");

    [Fact]
    public async Task The_store_survives_a_restart()
    {
        string dir = Corpus.TempDir();
        using (IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseVectorStore(EmbeddedVectorStore.Open(dir)).Build())
        {
            await rag.IngestAsync(Acme, Corpus.Documents);
            await rag.DeleteDocumentsAsync(Acme, ["volcanoes"]);
            await rag.IngestAsync(Acme, [new RagDocument("shipping", "Shipping by drone takes one hour.")]);
            ((IDisposable)GetStore(rag)).Dispose();
        }

        IVectorStore reopened = EmbeddedVectorStore.Open(dir);
        using IRagPipeline again = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseVectorStore(reopened).Build();
        RagAnswer refunds = await again.AskAsync("How long do I have to return an item for a refund?", new AskOptions(Acme));
        RagAnswer shipping = await again.AskAsync("How long does shipping take?", new AskOptions(Acme));

        Assert.Equal("refunds", refunds.Citations[0].DocumentId);
        Assert.Contains("drone", shipping.Text, StringComparison.Ordinal);
        Assert.Null(await reopened.GetDocumentAsync(new DocumentKey("acme", "default", "volcanoes"), default));
        Assert.NotNull(await reopened.GetDocumentAsync(new DocumentKey("acme", "default", "passwords"), default));
        ((IDisposable)reopened).Dispose();
    }

    [Fact]
    public async Task A_damaged_store_file_gives_a_clear_error_and_is_left_untouched()
    {
        string dir = Corpus.TempDir();
        await WriteStoreAsync(dir);
        string file = Path.Combine(dir, "ragkit-store.log");
        byte[] bytes = await File.ReadAllBytesAsync(file);
        bytes[20] ^= 0xFF; // flip bits inside the first record's payload
        await File.WriteAllBytesAsync(file, bytes);

        RagStoreCorruptedException ex = Assert.Throws<RagStoreCorruptedException>(() => EmbeddedVectorStore.Open(dir));

        Assert.Equal(file, ex.FilePath);
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task A_write_interrupted_by_a_crash_is_cut_off_and_earlier_records_survive()
    {
        string dir = Corpus.TempDir();
        await WriteStoreAsync(dir);
        string file = Path.Combine(dir, "ragkit-store.log");
        long goodLength = new FileInfo(file).Length;

        // Simulate a crash in the middle of appending a record: a header that promises more bytes than exist.
        await using (var fs = new FileStream(file, FileMode.Append))
        {
            fs.Write([0x52, 0x41, 0x47, 0x4B, 0x00, 0x10, 0x00, 0x00, 1, 2, 3, 4, 1, 1, 1]);
        }

        IVectorStore store = EmbeddedVectorStore.Open(dir);
        DocumentInfo? doc = await store.GetDocumentAsync(new DocumentKey("acme", "default", "refunds"), default);
        ((IDisposable)store).Dispose();

        Assert.NotNull(doc);
        Assert.Equal(goodLength, new FileInfo(file).Length);
    }

    [Fact]
    public async Task A_file_that_is_not_a_store_is_reported_not_dropped()
    {
        string dir = Corpus.TempDir();
        string file = Path.Combine(dir, "ragkit-store.log");
        await File.WriteAllTextAsync(file, "this is not a RagKit store, but it has valuable data in it");

        RagStoreCorruptedException ex = Assert.Throws<RagStoreCorruptedException>(() => EmbeddedVectorStore.Open(dir));

        Assert.Equal(0, ex.Offset);
        Assert.Equal("this is not a RagKit store, but it has valuable data in it", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Search_with_a_vector_of_the_wrong_size_is_rejected()
    {
        IVectorStore store = EmbeddedVectorStore.InMemory();
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseVectorStore(store).Build();
        await rag.IngestAsync(Acme, Corpus.Documents);

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await store.SearchAsync(new float[3], new VectorQuery(Acme, 3), default));
        Assert.Contains("384", ex.Message, StringComparison.Ordinal);
    }

    private async Task WriteStoreAsync(string dir)
    {
        IVectorStore store = EmbeddedVectorStore.Open(dir);
        using (IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseVectorStore(store).Build())
        {
            await rag.IngestAsync(Acme, Corpus.Documents);
        }

        ((IDisposable)store).Dispose();
    }

    private static IVectorStore GetStore(IRagPipeline rag) =>
        (IVectorStore)typeof(RagPipeline).GetField("_store", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(rag)!;
}
