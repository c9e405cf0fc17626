using Microsoft.Extensions.Logging;
using RagKit.Retrieval;
using static RagKit.Tests.Retrieval.StoreTestKit;

namespace RagKit.Tests.Retrieval;

/// <summary>Issue 13 B: damage is reported, lost tails are detected, bad input writes nothing, one writer per folder.</summary>
public sealed class StoreDurabilityTests
{
    [Fact]
    public async Task A_damaged_length_field_in_the_middle_is_reported_and_nothing_is_cut_off()
    {
        string dir = Corpus.TempDir();
        await WriteBatchesAsync(dir, ["a", "b", "c"]);
        byte[] bytes = await File.ReadAllBytesAsync(LogPath(dir));
        long second = RecordOffsets(bytes)[1];
        bytes[second + 12 + 2] ^= 0x40; // the length field of the second record now promises far more than the file has
        await File.WriteAllBytesAsync(LogPath(dir), bytes);

        RagStoreCorruptedException ex = Assert.Throws<RagStoreCorruptedException>(() => Open(dir));

        Assert.Equal(LogPath(dir), ex.FilePath);
        Assert.Equal(second, ex.Offset);
        Assert.Contains("length", ex.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(LogPath(dir))); // the later records are still there
    }

    [Fact]
    public async Task A_file_cut_at_a_record_boundary_is_detected_and_a_deleted_document_does_not_come_back()
    {
        string dir = Corpus.TempDir();
        await WriteBatchesAsync(dir, ["a", "b"]);
        IVectorStore store = Open(dir);
        await store.DeleteAsync([Key("a")], default);
        Close(store);
        byte[] bytes = await File.ReadAllBytesAsync(LogPath(dir));
        long deleteRecord = RecordOffsets(bytes)[^1];
        await File.WriteAllBytesAsync(LogPath(dir), bytes[..(int)deleteRecord]); // exactly the delete record is gone

        RagStoreCorruptedException ex = Assert.Throws<RagStoreCorruptedException>(() => Open(dir));

        Assert.Equal(deleteRecord, ex.Offset);
        Assert.Contains("cut off", ex.Message, StringComparison.Ordinal);
        Assert.Equal(deleteRecord, new FileInfo(LogPath(dir)).Length);
    }

    [Fact]
    public async Task An_emptied_file_is_detected()
    {
        string dir = Corpus.TempDir();
        await WriteBatchesAsync(dir, ["a"]);
        await File.WriteAllBytesAsync(LogPath(dir), []);

        RagStoreCorruptedException ex = Assert.Throws<RagStoreCorruptedException>(() => Open(dir));

        Assert.Equal(0, ex.Offset);
        Assert.Contains("emptied", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_torn_last_write_is_cut_off_with_a_warning_and_every_acknowledged_record_survives()
    {
        string dir = Corpus.TempDir();
        await WriteBatchesAsync(dir, ["a", "b"]);
        long acknowledged = new FileInfo(LogPath(dir)).Length;
        byte[] bytes = await File.ReadAllBytesAsync(LogPath(dir));
        long last = RecordOffsets(bytes)[^1];

        // A crash in the middle of the next append: half of a copy of the last record, never committed.
        await using (var fs = new FileStream(LogPath(dir), FileMode.Append))
        {
            fs.Write(bytes.AsSpan((int)last, (int)(bytes.Length - last) / 2));
        }

        var logger = new RecordingLogger();
        IVectorStore store = Open(dir, logger);
        Assert.NotNull(await store.GetDocumentAsync(Key("a"), default));
        Assert.NotNull(await store.GetDocumentAsync(Key("b"), default));
        await store.UpsertAsync([Doc("c", 3)], default); // appends after the cut, not after the torn bytes
        Close(store);

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("never acknowledged", StringComparison.Ordinal));
        IVectorStore again = Open(dir);
        Assert.NotNull(await again.GetDocumentAsync(Key("c"), default));
        Close(again);
        Assert.True(new FileInfo(LogPath(dir)).Length > acknowledged);
    }

    [Fact]
    public async Task A_batch_with_a_chunk_of_the_wrong_dimension_in_a_new_collection_writes_nothing()
    {
        string dir = Corpus.TempDir();
        IVectorStore store = Open(dir);
        StoredDocument good = Doc("good", 1, dims: 16);
        StoredDocument bad = Doc("bad", 2, dims: 17);

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync([good, bad], default));
        Assert.Equal("documents", ex.ParamName);
        Assert.Null(await store.GetDocumentAsync(Key("good"), default)); // the batch is all or nothing
        await store.UpsertAsync([good], default); // and the store still works
        Close(store);

        IVectorStore reopened = Open(dir);
        Assert.NotNull(await reopened.GetDocumentAsync(Key("good"), default));
        Assert.Null(await reopened.GetDocumentAsync(Key("bad"), default));
        Close(reopened);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(0f)]
    public async Task NaNInfiniteOrAllZeroVectorsAreNeverStored(float poison)
    {
        string dir = Corpus.TempDir();
        IVectorStore store = Open(dir);
        float[] vector = poison == 0f ? new float[16] : UnitVector(16, 1);
        vector[3] = poison;
        StoredDocument doc = new(Key("poisoned"), 1, [], [new StoredChunk("poisoned#0", 0, "text", vector)]);

        ArgumentException upsert = await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync([Doc("fine", 2), doc], default));
        ArgumentException search = await Assert.ThrowsAsync<ArgumentException>(async () => await store.SearchAsync(vector, new VectorQuery(Scope, 3), default));

        Assert.Equal("documents", upsert.ParamName);
        Assert.Equal("vector", search.ParamName);
        Assert.Null(await store.GetDocumentAsync(Key("fine"), default));
        Close(store);
        Assert.Equal(0, EmptyAfterReopen(dir));
    }

    [Fact]
    public async Task A_second_open_of_the_same_folder_fails_naming_it_and_the_writer_keeps_working()
    {
        string dir = Corpus.TempDir();
        IVectorStore writer = Open(dir);
        await writer.UpsertAsync([Doc("a", 1)], default);

        RagStoreLockedException ex = Assert.Throws<RagStoreLockedException>(() => Open(dir));
        Assert.Equal(Path.GetFullPath(dir), ex.DirectoryPath);
        Assert.Contains(Path.GetFullPath(dir), ex.Message, StringComparison.Ordinal);
        Assert.Throws<RagStoreLockedException>(() => Open(dir, readOnly: true));

        await writer.UpsertAsync([Doc("b", 2)], default);
        Close(writer);
        IVectorStore reopened = Open(dir);
        Assert.NotNull(await reopened.GetDocumentAsync(Key("a"), default));
        Assert.NotNull(await reopened.GetDocumentAsync(Key("b"), default));
        Close(reopened);
    }

    [Fact]
    public async Task Read_only_opens_share_the_folder_refuse_writes_and_change_no_file()
    {
        string dir = Corpus.TempDir();
        await WriteBatchesAsync(dir, ["a"]);
        await using (var fs = new FileStream(LogPath(dir), FileMode.Append))
        {
            fs.Write(new byte[40]); // an unacknowledged tail that a writer would cut off
        }

        byte[] before = await File.ReadAllBytesAsync(LogPath(dir));
        IVectorStore first = Open(dir, readOnly: true);
        IVectorStore second = Open(dir, readOnly: true);

        Assert.NotNull(await second.GetDocumentAsync(Key("a"), default));
        Assert.Single(await first.SearchAsync(Doc("a", 1).Chunks[0].Vector, new VectorQuery(Scope, 3), default));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first.UpsertAsync([Doc("b", 2)], default));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first.DeleteAsync([Key("a")], default));
        Assert.Throws<RagStoreLockedException>(() => Open(dir));
        Close(first);
        Close(second);
        Assert.Equal(before, await File.ReadAllBytesAsync(LogPath(dir)));
    }

    [Fact]
    public async Task A_document_larger_than_a_record_is_split_and_read_back()
    {
        string dir = Corpus.TempDir();
        IVectorStore store = Open(dir, splitBytes: 64 * 1024);
        StoredDocument big = Doc("big", 7, dims: 1024, chunks: 200); // about 830 KB: thirteen or more records
        await store.UpsertAsync([big, Doc("after", 8, dims: 1024)], default);
        Close(store);
        Assert.True(RecordOffsets(await File.ReadAllBytesAsync(LogPath(dir))).Count > 10);

        IVectorStore reopened = Open(dir);
        DocumentInfo? info = await reopened.GetDocumentAsync(Key("big"), default);
        IReadOnlyList<ChunkMatch> hit = await reopened.SearchAsync(big.Chunks[150].Vector, new VectorQuery(Scope, 1), default);
        Close(reopened);

        Assert.Equal(200, info?.ChunkCount);
        Assert.Equal("big#150", hit[0].ChunkId);
    }

    [Fact]
    public async Task Every_document_the_writer_accepts_can_be_read_back()
    {
        // The old reader refused more than 10,000 access groups that the writer had written.
        string dir = Corpus.TempDir();
        IVectorStore store = Open(dir);
        string[] groups = Enumerable.Range(0, 10_001).Select(i => "g" + i).ToArray();
        await store.UpsertAsync([Doc("many-groups", 1, groups: groups)], default);
        Close(store);

        IVectorStore reopened = Open(dir);
        Assert.Equal(10_001, (await reopened.GetDocumentAsync(Key("many-groups"), default))?.AccessGroups.Count);
        Close(reopened);
    }

    [Fact]
    public async Task A_chunk_too_large_for_any_record_is_rejected_before_anything_is_written()
    {
        string dir = Corpus.TempDir();
        IVectorStore store = Open(dir);
        string text = new('€', (StoreLog.MaxRecordPayload / 3) + 1); // three UTF-8 bytes each: just over one record
        StoredDocument huge = Doc("huge", 1, text: text);

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(async () => await store.UpsertAsync([Doc("fine", 2), huge], default));
        Close(store);

        Assert.Equal("documents", ex.ParamName);
        Assert.Equal(0, EmptyAfterReopen(dir));
    }

    [Fact]
    public async Task A_compacted_store_reopens_with_only_the_live_documents()
    {
        string dir = Corpus.TempDir();
        IVectorStore store = Open(dir);
        for (int round = 0; round < 30; round++)
        {
            await store.UpsertAsync(Enumerable.Range(0, 50).Select(i => Doc("d" + i, (ulong)round)).ToArray(), default);
        }

        await store.DeleteAsync([Key("d0")], default);
        Close(store);
        Assert.False(File.Exists(LogPath(dir) + ".compact"));

        IVectorStore reopened = Open(dir);
        Assert.Null(await reopened.GetDocumentAsync(Key("d0"), default));
        Assert.Equal(29UL, (await reopened.GetDocumentAsync(Key("d49"), default))?.ContentHash);
        Assert.Equal(49, ((EmbeddedVectorStoreCore)reopened).DocumentCount);
        Close(reopened);
        Assert.True(RecordOffsets(await File.ReadAllBytesAsync(LogPath(dir))).Count < 1000); // 1,501 without compaction
    }

    private static int EmptyAfterReopen(string dir)
    {
        IVectorStore store = Open(dir);
        int count = ((EmbeddedVectorStoreCore)store).DocumentCount;
        Close(store);
        return count;
    }

    private static async Task WriteBatchesAsync(string dir, string[] ids)
    {
        IVectorStore store = Open(dir);
        ulong hash = 1;
        foreach (string id in ids)
        {
            await store.UpsertAsync([Doc(id, hash++)], default);
        }

        Close(store);
    }
}
