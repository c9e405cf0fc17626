using RagKit.Caching;
using RagKit.Retrieval;
using RagKit.Testing;
using Xunit;

namespace RagKit.Testing.Tests;

public sealed class CassetteTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragkit-cassette-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static StoredDocument Doc(string tenant, string id, float[] v, params string[] groups) =>
        new(new DocumentKey(tenant, "c", id), 42, groups, [new StoredChunk(id + "#0", 0, "text of " + id, v)], "T " + id);

    private static async Task<IVectorStore> RealStoreAsync()
    {
        IVectorStore store = EmbeddedVectorStore.InMemory();
        await store.UpsertAsync([Doc("t", "a", [1, 0, 0, 0]), Doc("t", "b", [0.8f, 0.6f, 0, 0]), Doc("t", "secret", [0.9f, 0.1f, 0, 0], "hr"), Doc("u", "other", [1, 0, 0, 0])], default);
        return store;
    }

    [Fact]
    public async Task A_recorded_retrieval_replays_identically_per_scope_without_the_real_store()
    {
        string path = Path.Combine(_dir, "c.json");
        float[] q = [1, 0.1f, 0, 0];
        IReadOnlyList<ChunkMatch> recordedStaff, recordedHr;
        using (RagCassette rec = RagCassette.Open(path, RecordingMode.Record))
        {
            IVectorStore store = rec.WrapVectorStore(await RealStoreAsync());
            recordedStaff = await store.SearchAsync(q, new VectorQuery(new RagScope("t", "c"), 5), default);
            recordedHr = await store.SearchAsync(q, new VectorQuery(new RagScope("t", "c", ["hr"]), 5), default);
        }

        using RagCassette replay = RagCassette.Open(path, RecordingMode.Replay);
        IVectorStore replayed = replay.WrapVectorStore(null);

        Assert.Equal(recordedStaff, await replayed.SearchAsync(q, new VectorQuery(new RagScope("t", "c"), 5), default));
        Assert.Equal(recordedHr, await replayed.SearchAsync(q, new VectorQuery(new RagScope("t", "c", ["hr"]), 5), default));
        Assert.DoesNotContain(recordedStaff, m => m.Document.DocumentId == "secret");
        Assert.Contains(recordedHr, m => m.Document.DocumentId == "secret");

        // Another tenant's identical question was never recorded: a miss, not a leak.
        CassetteMissException miss = await Assert.ThrowsAsync<CassetteMissException>(async () => await replayed.SearchAsync(q, new VectorQuery(new RagScope("u", "c"), 5), default));
        Assert.Contains("RAGKIT_RECORD=1", miss.Message, StringComparison.Ordinal);
        Assert.Contains("RecordingMode.Record", miss.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cassette_file_is_stable_sorted_json_whatever_the_recording_order()
    {
        float[] q1 = [1, 0, 0, 0], q2 = [0, 1, 0, 0];
        async Task<string> RecordAsync(string name, bool reversed)
        {
            string path = Path.Combine(_dir, name);
            using (RagCassette rec = RagCassette.Open(path, RecordingMode.Record))
            {
                IVectorStore store = rec.WrapVectorStore(await RealStoreAsync());
                foreach (float[] q in reversed ? new[] { q2, q1 } : new[] { q1, q2 })
                {
                    await store.SearchAsync(q, new VectorQuery(new RagScope("t", "c"), 2), default);
                }
            }

            return await File.ReadAllTextAsync(path);
        }

        string a = await RecordAsync("a.json", false);
        string b = await RecordAsync("b.json", true);

        Assert.Equal(a, b);
        Assert.Contains("\"documentId\": \"a\"", a, StringComparison.Ordinal);
    }

    [Fact]
    public void Replaying_a_cassette_that_does_not_exist_says_how_to_record_it()
    {
        CassetteMissException ex = Assert.Throws<CassetteMissException>(() => RagCassette.Open(Path.Combine(_dir, "none.json"), RecordingMode.Replay));
        Assert.Contains("RAGKIT_RECORD=1", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RagCassette.Open(Path.Combine(_dir, "r.json"), RecordingMode.Record).WrapVectorStore(null));
    }
}
