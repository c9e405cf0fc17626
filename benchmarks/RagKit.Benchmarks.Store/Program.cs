using System.Diagnostics;
using RagKit;
using RagKit.Caching;
using RagKit.Retrieval;

// Embedded-store harness (public API only, so the same file runs against older builds).
//   search [threads] [searches per thread] [chunks]: concurrent SearchAsync calls; counts the calls that throw.
//   upsert [documents] [chunks per document]: ingestion time into an on-disk store, then reopen time.
string mode = args.Length > 0 ? args[0] : "search";
int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
const int Dims = 384;
var scope = new RagScope("bench", "docs");

float[] Vector(int seed)
{
    var rng = new Random(seed);
    var v = new float[Dims];
    for (int i = 0; i < Dims; i++)
    {
        v[i] = (float)((rng.NextDouble() * 2) - 1);
    }

    float n = MathF.Sqrt(v.Sum(x => x * x));
    return v.Select(x => x / n).ToArray();
}

StoredDocument Doc(int id, int chunks) => new(new DocumentKey("bench", "docs", "d" + id), 1, [], Enumerable.Range(0, chunks).Select(c => new StoredChunk($"d{id}#{c}", c, "chunk text " + c, Vector((id * 1000) + c))).ToArray());

if (mode == "search")
{
    int threads = Arg(1, 16), perThread = Arg(2, 3000), chunks = Arg(3, 5000);
    IVectorStore store = EmbeddedVectorStore.InMemory();
    for (int i = 0; i < chunks; i += 100)
    {
        await store.UpsertAsync(Enumerable.Range(i, 100).Select(id => Doc(id, 1)).ToArray(), default);
    }

    float[][] queries = Enumerable.Range(0, 256).Select(i => Vector(1_000_000 + i)).ToArray();
    long failures = 0, calls = 0;
    var messages = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    using var barrier = new Barrier(threads);
    var sw = Stopwatch.StartNew();
    Thread[] workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
    {
        barrier.SignalAndWait();
        for (int i = 0; i < perThread; i++)
        {
            try
            {
                _ = store.SearchAsync(queries[(t * 31 + i) % queries.Length], new VectorQuery(scope, 4), default).AsTask().Result;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref failures);
                messages.AddOrUpdate(ex.GetType().Name + ": " + ex.Message, 1, (_, n) => n + 1);
            }

            Interlocked.Increment(ref calls);
        }
    })).ToArray();
    foreach (Thread w in workers)
    {
        w.Start();
    }

    foreach (Thread w in workers)
    {
        w.Join();
    }

    sw.Stop();
    Console.WriteLine($"{threads} threads x {perThread} searches over {chunks} chunks ({Environment.ProcessorCount} cores): {failures} of {calls} threw; {calls / sw.Elapsed.TotalSeconds:N0} searches/s");
    foreach ((string message, int n) in messages)
    {
        Console.WriteLine($"  {n} x {message}");
    }

    ((IDisposable)store).Dispose();
}
else if (mode == "upsert")
{
    int documents = Arg(1, 2000), chunks = Arg(2, 4);
    string dir = Path.Combine(Path.GetTempPath(), "ragkit-store-bench-" + Guid.NewGuid().ToString("N"));
    var sw = Stopwatch.StartNew();
    IVectorStore store = EmbeddedVectorStore.Open(dir);
    for (int i = 0; i < documents; i += 10)
    {
        await store.UpsertAsync(Enumerable.Range(i, 10).Select(id => Doc(id, chunks)).ToArray(), default);
    }

    ((IDisposable)store).Dispose();
    double ingest = sw.Elapsed.TotalMilliseconds;
    sw.Restart();
    store = EmbeddedVectorStore.Open(dir);
    ((IDisposable)store).Dispose();
    Console.WriteLine($"{documents} documents x {chunks} chunks in batches of 10: ingest {ingest:N0} ms, reopen {sw.Elapsed.TotalMilliseconds:N0} ms");
    Directory.Delete(dir, recursive: true);
}
else
{
    Console.Error.WriteLine("modes: search [threads] [searches per thread] [chunks] | upsert [documents] [chunks per document]");
    return 2;
}

return 0;
