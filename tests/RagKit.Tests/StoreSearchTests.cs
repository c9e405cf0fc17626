using RagKit.Internal;
using RagKit.Retrieval;
using static RagKit.Tests.StoreTestKit;

namespace RagKit.Tests;

/// <summary>Issue 13 B: concurrent searches never throw, and live documents stay findable after many updates.</summary>
public sealed class StoreSearchTests
{
    [Fact]
    public async Task SixteenThreadsSearchingAtOnceNeverFail()
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
    public void TheIndexHasMoreSearchContextsThanThisMachineHasCores()
    {
        Assert.True(HnswIndex.SearchContexts >= Math.Min(64, Environment.ProcessorCount * 2));
        Assert.True(HnswIndex.SearchContexts >= 8);
    }

    [Fact]
    public async Task LiveDocumentsStayFindableAfterFiveThousandUpdates()
    {
        IVectorStore store = EmbeddedVectorStore.InMemory();
        const int Documents = 120;
        var version = new ulong[Documents];
        var rng = new Random(13);
        await store.UpsertAsync(Enumerable.Range(0, Documents).Select(i => Doc("d" + i, 0, dims: 64, chunks: 2)).ToArray(), default);
        for (int u = 0; u < 5000; u++)
        {
            int d = rng.Next(Documents);
            await store.UpsertAsync([Doc("d" + d, ++version[d], dims: 64, chunks: 2)], default);
        }

        var unfound = new List<string>();
        for (int d = 0; d < Documents; d++)
        {
            StoredDocument live = Doc("d" + d, version[d], dims: 64, chunks: 2);
            IReadOnlyList<ChunkMatch> top = await store.SearchAsync(live.Chunks[1].Vector, new VectorQuery(Scope, 1, -1f), default);
            if (top.Count == 0 || top[0].ChunkId != live.Chunks[1].ChunkId || top[0].DocumentHash != version[d])
            {
                unfound.Add(live.Chunks[1].ChunkId);
            }
        }

        IReadOnlyList<ChunkMatch> everything = await store.SearchAsync(UnitVector(64, 5), new VectorQuery(Scope, 1000, -1f), default);
        Assert.True(((EmbeddedVectorStoreCore)store).Rebuilds > 0);
        Close(store);

        Assert.Empty(unfound);
        Assert.Equal(2 * Documents, everything.Count);
    }
}
