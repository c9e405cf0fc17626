using RagKit.Benchmarks.Semantic;
using RagKit.Onnx;

string dataDir = Data.FindDataDir(args);
string sem = Path.Combine(dataDir, "semantic");
List<LabeledQuery> banking = Data.ReadBanking(Path.Combine(sem, "banking77", "test.csv"));
List<SentencePair> paws = Data.ReadPaws(Path.Combine(sem, "paws", "dev.tsv"));
List<SentencePair> stsb = Data.ReadStsb(Path.Combine(sem, "stsb", "sts-dev.csv"));
Console.Error.WriteLine($"banking {banking.Count}, paws {paws.Count} ({paws.Count(p => p.Paraphrase)} paraphrases), stsb {stsb.Count} ({stsb.Count(p => p.Paraphrase)} >= 4)");
var store = new EmbeddingStore(Path.Combine(Path.GetTempPath(), "ragkit-semantic-embeddings-v1.bin"));
using (MiniLmEmbeddingGenerator embedder = MiniLmEmbeddingGenerator.Create())
{
    await store.EnsureAsync(embedder, banking.Select(b => b.Text).Concat(paws.SelectMany(p => new[] { p.First, p.Second })).Concat(stsb.SelectMany(p => new[] { p.First, p.Second })));
}

if (args.Contains("--embed-only"))
{
    return;
}
