using RagKit.Retrieval;
using static RagKit.Tests.Retrieval.StoreTestKit;

namespace RagKit.Tests.Retrieval;

/// <summary>Issue 13 B: concurrent searches never throw, and live documents stay findable after many updates.</summary>
public sealed class StoreSearchTests
{
    [Fact]
    public async Task Sixteen_threads_searching_at_once_never_fail()
    {
        IVectorStore store = EmbeddedVectorStore.InMemory();
        await store.UpsertAsync(Enumerable.Range(0, 400).Select(i => Doc("d" + i, 1, dims: 32)).ToArray(), default);
        float[][] queries = Enumerable.Range(0, 64).Select(i => UnitVector(32, 1000 + i)).ToArray();
        int failures = 0;
        using var start = new Barrier(16);

        Thread[] threads = Enumerable.Range(0, 16).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < 300; i++)
            {
                try
                {
                    // TopK 8 over 400 chunks goes through the graph, not the exact scan.
                    if (store.SearchAsync(queries[(t + i) % queries.Length], new VectorQuery(Scope, 8, -1f), default).Result.Count != 8)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }

        Close(store);
        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Every_live_document_is_found_after_five_thousand_updates()
    {
        // 120 documents, each edited again and again: every version is a near-duplicate of the one it replaces.
        // Removals and near-duplicates leave an HNSW graph with nodes no search reaches.
        const int Documents = 120, Dims = 384;
        IVectorStore store = EmbeddedVectorStore.InMemory();
        var version = new int[Documents];
        var rng = new Random(13);
        for (int d = 0; d < Documents; d++)
        {
            await store.UpsertAsync([EditedDoc(d, 0)], default);
        }

        for (int u = 1; u <= 5000; u++)
        {
            int d = rng.Next(Documents);
            version[d] = u;
            await store.UpsertAsync([EditedDoc(d, u)], default);
        }

        var missing = new List<int>();
        for (int d = 0; d < Documents; d++)
        {
            ReadOnlyMemory<float> own = EditedDoc(d, version[d]).Chunks[0].Vector;
            IReadOnlyList<ChunkMatch> all = await store.SearchAsync(own, new VectorQuery(Scope, 1000, -1f), default);
            if (!all.Any(m => m.Document == Key("d" + d) && m.DocumentHash == (ulong)version[d]))
            {
                missing.Add(d);
            }
        }

        int rebuilds = ((EmbeddedVectorStoreCore)store).Rebuilds;
        Close(store);
        Assert.Empty(missing);
        Assert.True(rebuilds > 0);

        static StoredDocument EditedDoc(int d, int version)
        {
            // What the documents share (a topic, a template) plus the document's own direction, slightly edited.
            float[] shared = UnitVector(Dims, 99), original = UnitVector(Dims, d), edit = UnitVector(Dims, (d * 100_000) + version + 1_000_000);
            float[] v = original.Select((a, i) => (0.999f * a) + (0.001f * edit[i]) + (0.3f * shared[i])).ToArray();
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            return new StoredDocument(Key("d" + d), (ulong)version, [], [new StoredChunk($"d{d}#0", 0, "text", v.Select(x => x / norm).ToArray())]);
        }
    }
}
