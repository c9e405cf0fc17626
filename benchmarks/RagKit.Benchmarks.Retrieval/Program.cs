// SciFact retrieval benchmark: nDCG@10 of the embedded store with all-MiniLM-L6-v2, HNSW recall@10 against exact
// search, and retrieval latency with the retrieval-result tier cold and warm.
// Usage: dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Retrieval [-- [<data dir containing rag/scifact>] [--docs N]]
// --docs N: a sub-corpus of every document judged relevant by the test qrels plus distractors (corpus order) up to N;
// nDCG on a sub-corpus is higher than on the full corpus. Embeddings are cached (resumably) in the temp directory.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagKit;
using RagKit.Caching;
using RagKit.Onnx;
using RagKit.Retrieval;

int docLimit = int.MaxValue;
var positional = new List<string>();
for (int a = 0; a < args.Length; a++)
{
    if (args[a] == "--docs")
    {
        docLimit = int.Parse(args[++a], CultureInfo.InvariantCulture);
    }
    else
    {
        positional.Add(args[a]);
    }
}

string dataRoot = positional.Count > 0 ? positional[0] : FindSharedData();
string dir = Path.Combine(dataRoot, "rag", "scifact");
Console.WriteLine($"SciFact from {dir}");

var corpus = new List<(string Id, string Title, string Text)>();
using (var gz = new GZipStream(File.OpenRead(Path.Combine(dir, "corpus.jsonl.gz")), CompressionMode.Decompress))
using (var reader = new StreamReader(gz))
{
    while (reader.ReadLine() is { } line)
    {
        using JsonDocument d = JsonDocument.Parse(line);
        corpus.Add((d.RootElement.GetProperty("_id").GetString()!, d.RootElement.GetProperty("title").GetString() ?? "", d.RootElement.GetProperty("text").GetString() ?? ""));
    }
}

var queries = new Dictionary<string, string>();
foreach (string line in File.ReadLines(Path.Combine(dir, "queries.jsonl")))
{
    using JsonDocument d = JsonDocument.Parse(line);
    queries[d.RootElement.GetProperty("_id").GetString()!] = d.RootElement.GetProperty("text").GetString()!;
}

var qrels = new Dictionary<string, Dictionary<string, int>>();
foreach (string line in File.ReadLines(Path.Combine(dir, "qrels", "test.tsv")).Skip(1))
{
    string[] f = line.Split('\t');
    if (!qrels.TryGetValue(f[0], out var rel))
    {
        qrels[f[0]] = rel = [];
    }

    rel[f[1]] = int.Parse(f[2], CultureInfo.InvariantCulture);
}

string[] testIds = qrels.Keys.Where(queries.ContainsKey).ToArray();
int fullCount = corpus.Count;
if (docLimit < corpus.Count)
{
    var relevant = qrels.Values.SelectMany(r => r.Keys).ToHashSet(StringComparer.Ordinal);
    var keep = corpus.Where(d => relevant.Contains(d.Id)).ToList();
    keep.AddRange(corpus.Where(d => !relevant.Contains(d.Id)).Take(Math.Max(0, docLimit - keep.Count)));
    corpus = keep;
}

Console.WriteLine($"{corpus.Count} documents{(corpus.Count < fullCount ? $" (SUB-CORPUS of {fullCount}: all judged-relevant + distractors)" : "")}, {testIds.Length} test queries");

using var embedder = MiniLmEmbeddingGenerator.Create();
float[][] docVectors = await EmbedCorpusAsync(embedder, corpus);
float[][] queryVectors = (await embedder.GenerateAsync(testIds.Select(id => queries[id]).ToArray())).Select(e => e.Vector.ToArray()).ToArray();

// One document (one chunk: title + text, as BEIR embeds it) per abstract.
using var storeOwner = (IDisposable)EmbeddedVectorStore.InMemory();
var store = (IVectorStore)storeOwner;
var scope = new RagScope("scifact", "corpus");
var sw = Stopwatch.StartNew();
for (int i = 0; i < corpus.Count; i += 256)
{
    var batch = new List<StoredDocument>();
    for (int j = i; j < Math.Min(corpus.Count, i + 256); j++)
    {
        var key = new DocumentKey(scope.Tenant, scope.Collection, corpus[j].Id);
        batch.Add(new StoredDocument(key, (ulong)j + 1, [], [new StoredChunk(corpus[j].Id + "#0", 0, corpus[j].Text, docVectors[j])], corpus[j].Title));
    }

    await store.UpsertAsync(batch, default);
}

Console.WriteLine($"Indexed in {sw.Elapsed.TotalSeconds:F1} s");

// nDCG@10 and recall@10 of HNSW against exact brute force.
double ndcgSum = 0, ndcgExactSum = 0, recallSum = 0;
var storeLatencies = new List<double>();
for (int q = 0; q < testIds.Length; q++)
{
    long t = Stopwatch.GetTimestamp();
    IReadOnlyList<ChunkMatch> hits = await store.SearchAsync(queryVectors[q], new VectorQuery(scope, 10, -1f), default);
    storeLatencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    string[] hnsw = hits.Select(h => h.Document.DocumentId).ToArray();
    string[] exact = ExactTop(queryVectors[q], 10);
    recallSum += hnsw.Intersect(exact).Count() / (double)exact.Length;
    ndcgSum += Ndcg(hnsw, qrels[testIds[q]], 10);
    ndcgExactSum += Ndcg(exact, qrels[testIds[q]], 10);
}

Console.WriteLine($"nDCG@10 (embedded HNSW store): {ndcgSum / testIds.Length:F4}   (exact search: {ndcgExactSum / testIds.Length:F4}; published all-MiniLM-L6-v2 ~0.645)");
Console.WriteLine($"HNSW recall@10 vs exact: {recallSum / testIds.Length:F4}");

// Retrieval latency through the pipeline, retrieval-result tier cold then warm (answer caches off).
using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).UseVectorStore(store).Build();
var ask = new AskOptions(scope) { UseCache = false, UseRetrievalCache = true, TopK = 10 };
var cold = new List<double>();
var warm = new List<double>();
int warmHits = 0;
foreach (string id in testIds)
{
    RagAnswer a = await rag.AskAsync(queries[id], ask);
    cold.Add(a.Report.Retrieval.TotalMilliseconds);
}

foreach (string id in testIds)
{
    RagAnswer a = await rag.AskAsync(queries[id], ask);
    warm.Add(a.Report.Retrieval.TotalMilliseconds);
    warmHits += a.Report.RetrievalCached ? 1 : 0;
}

Console.WriteLine($"Store search (direct): median {Pct(storeLatencies, 50):F3} ms, p95 {Pct(storeLatencies, 95):F3} ms");
Console.WriteLine($"Pipeline retrieval stage, cold (store): median {Pct(cold, 50):F3} ms, p95 {Pct(cold, 95):F3} ms");
Console.WriteLine($"Pipeline retrieval stage, warm (retrieval tier, {warmHits}/{testIds.Length} hits): median {Pct(warm, 50):F4} ms, p95 {Pct(warm, 95):F4} ms");
Console.WriteLine($"Cold/warm retrieval latency ratio (median): {Pct(cold, 50) / Pct(warm, 50):F1}x; mean {cold.Average() / warm.Average():F1}x");

string[] ExactTop(float[] q, int k) =>
    Enumerable.Range(0, corpus.Count).Select(i => (i, s: TensorPrimitives.Dot(q, docVectors[i]))).OrderByDescending(x => x.s).Take(k).Select(x => corpus[x.i].Id).ToArray();

static double Ndcg(string[] ranked, Dictionary<string, int> rel, int k)
{
    double dcg = 0;
    for (int i = 0; i < Math.Min(k, ranked.Length); i++)
    {
        if (rel.TryGetValue(ranked[i], out int r) && r > 0)
        {
            dcg += (Math.Pow(2, r) - 1) / Math.Log2(i + 2);
        }
    }

    double idcg = rel.Values.Where(r => r > 0).OrderDescending().Take(k).Select((r, i) => (Math.Pow(2, r) - 1) / Math.Log2(i + 2)).Sum();
    return idcg == 0 ? 0 : dcg / idcg;
}

static double Pct(List<double> values, int p)
{
    double[] s = values.Order().ToArray();
    return s[Math.Min(s.Length - 1, (int)Math.Ceiling(p / 100.0 * s.Length) - 1)];
}

static async Task<float[][]> EmbedCorpusAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, List<(string Id, string Title, string Text)> corpus)
{
    // Resumable cache: one record per document, appended as embedded: [id length][id utf8][384 float32].
    const int Dims = 384;
    string cache = Path.Combine(Path.GetTempPath(), "ragkit-scifact-minilm-title-text.bin");
    var known = new Dictionary<string, float[]>(StringComparer.Ordinal);
    if (File.Exists(cache))
    {
        using var r = new BinaryReader(File.OpenRead(cache));
        try
        {
            while (r.BaseStream.Position < r.BaseStream.Length)
            {
                string id = r.ReadString();
                byte[] bytes = r.ReadBytes(Dims * 4);
                if (bytes.Length < Dims * 4)
                {
                    break;
                }

                known[id] = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            }
        }
        catch (EndOfStreamException)
        {
        }

        Console.WriteLine($"{known.Count} embeddings read from {cache}");
    }

    var todo = corpus.Where(d => !known.ContainsKey(d.Id)).ToList();
    var sw = Stopwatch.StartNew();
    await using (var f = new FileStream(cache, FileMode.Append))
    await using (var w = new BinaryWriter(f))
    {
        for (int i = 0; i < todo.Count; i += 32)
        {
            var batch = todo.Skip(i).Take(32).ToList();
            GeneratedEmbeddings<Embedding<float>> e = await embedder.GenerateAsync(batch.Select(d => (d.Title + " " + d.Text).Trim()).ToArray());
            for (int j = 0; j < batch.Count; j++)
            {
                float[] v = e[j].Vector.ToArray();
                known[batch[j].Id] = v;
                w.Write(batch[j].Id);
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
            }

            w.Flush();
            Console.WriteLine($"  embedded {i + batch.Count}/{todo.Count} ({(i + batch.Count) / sw.Elapsed.TotalSeconds:F1} texts/s)");
        }
    }

    return corpus.Select(d => known[d.Id]).ToArray();
}

static string FindSharedData()
{
    for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
    {
        foreach (string candidate in new[] { Path.Combine(d.FullName, "shared", "data"), Path.Combine(d.FullName, "..", "shared", "data") })
        {
            if (Directory.Exists(Path.Combine(candidate, "rag", "scifact")))
            {
                return Path.GetFullPath(candidate);
            }
        }
    }

    throw new DirectoryNotFoundException("Could not find shared/data/rag/scifact above the current directory; pass the data directory as the first argument.");
}
