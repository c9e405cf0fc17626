// Extractive-answer harness: over documentation folders of different shapes (markdown with tables, code and lists;
// plain-text FAQs; long prose), asks questions whose answer is one fact and questions the documents cannot answer,
// through the real pipeline (MiniLM embeddings, embedded USearch store, no chat client, caches off).
// Usage: dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Extractive [-- [--split dev|test|all] [--verbose]]
// --diagnose: why each wrong answer of a split is wrong (retrieval, scoring, refusal, truncation).
// --folder A,B: only these folders of the split.
// --rescue X: the share of the question's weighted words a chunk below the retrieval minimum needs to be rescued (1.01: none).
// The dev split is for tuning and calibrating; report the test split (documents the answerer was not tuned on).
using System.Globalization;
using System.Text.RegularExpressions;
using RagKit;
using RagKit.Onnx;
using RagKit.Retrieval;

string split = "all";
bool verbose = false, calibrate = false, chunks = false, diagnose = false;
string? features = null;
for (int a = 0; a < args.Length; a++)
{
    switch (args[a])
    {
        case "--split": split = args[++a]; break;
        case "--verbose": verbose = true; break;
        case "--calibrate": calibrate = true; break;
        case "--chunks": chunks = true; break;
        case "--diagnose": diagnose = true; break;
        case "--rescue": RagKit.Generation.ExtractiveSources.MinRescueCoverage = double.Parse(args[++a], CultureInfo.InvariantCulture); break;
        case "--features": features = args[++a]; break;
        case "--role": RagKit.Generation.ExtractiveAnswerer.Calibration = RagKit.Generation.ExtractiveAnswerer.Calibration with { RoleBonus = double.Parse(args[++a], CultureInfo.InvariantCulture) }; break;
        case "--trace": RagKit.Generation.ExtractiveAnswerer.Trace = line => Console.WriteLine("         " + line); break;
        case "--premise": RagKit.Generation.ExtractiveAnswerer.Calibration = RagKit.Generation.ExtractiveAnswerer.Calibration with { PremisePenalty = double.Parse(args[++a], CultureInfo.InvariantCulture) }; break;
        case "--folder": Harness.Only = args[++a].Split(','); break;
    }
}

string root = Path.Combine(AppContext.BaseDirectory, "DevSet");
if (chunks)
{
    // The chunks each document of a split becomes, to see what retrieval and the answerer are given.
    foreach (string folder in Harness.Folders(Path.Combine(root, split == "all" ? "dev" : split)))
    {
        foreach (RagDocument document in Harness.Documents(folder))
        {
            foreach (string chunk in RagKit.Ingestion.StructuredChunker.Chunk(document.Text, 800, 120))
            {
                Console.WriteLine($"--- {Path.GetFileName(folder)}/{document.Id}\n{chunk}");
            }
        }
    }

    return 0;
}

using var embedder = MiniLmEmbeddingGenerator.Create();
if (calibrate)
{
    await Calibration.RunAsync(Path.Combine(root, split == "all" ? "dev" : split), embedder, features);
    return 0;
}

if (diagnose)
{
    await Diagnosis.RunAsync(Path.Combine(root, split == "all" ? "dev" : split), embedder, topK: 4, minScore: 0.2f);
    return 0;
}

var totals = new Dictionary<string, Tally>();
Console.WriteLine($"{"split",-5} {"folder",-14} {"facts found",12} {"refusals",9} {"markup",7} {"citations ok",13}");
foreach (string splitDir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
{
    string splitName = Path.GetFileName(splitDir);
    if (split != "all" && split != splitName)
    {
        continue;
    }

    var splitTally = new Tally();
    foreach (string folder in Harness.Folders(splitDir))
    {
        Tally tally = await RunFolderAsync(folder);
        Console.WriteLine($"{splitName,-5} {Path.GetFileName(folder),-14} {tally.Found,5}/{tally.Answerable,-6} {tally.Refused,4}/{tally.Unanswerable,-4} {tally.WithMarkup,7} {tally.CitationsOk,6}/{tally.Asked,-6}");
        splitTally.Add(tally);
    }

    totals[splitName] = splitTally;
}

Console.WriteLine();
Console.WriteLine("| split | facts found / answerable | correct refusals / unanswerable | answers with markup | citations numbered 1..n and resolvable | mean generation (ms) |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach ((string name, Tally t) in totals)
{
    Console.WriteLine($"| {name} | {t.Found} / {t.Answerable} | {t.Refused} / {t.Unanswerable} | {t.WithMarkup} / {t.Asked} | {t.CitationsOk} / {t.Asked} | {t.GenerationMs / Math.Max(1, t.Asked):F1} |");
}

return 0;

async Task<Tally> RunFolderAsync(string folder)
{
    IVectorStore store = EmbeddedVectorStore.InMemory();
    using var storeOwner = (IDisposable)store;
    using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).UseVectorStore(store).Build();
    var scope = new RagScope("harness", Path.GetFileName(folder));
    await rag.IngestAsync(scope, Harness.Documents(folder));

    var tally = new Tally();
    foreach (DevSetQuestion q in DevSetQuestion.Read(Path.Combine(folder, "questions.tsv")))
    {
        RagAnswer answer = await rag.AskAsync(q.Question, new AskOptions(scope) { UseCache = false });
        string text = answer.Text;
        bool refused = text.StartsWith("I don't know", StringComparison.Ordinal);
        bool found = q.Answerable && !refused && Harness.ContainsFact(text, q);
        string? markup = refused ? null : Markup.Find(StripCitations(text));
        bool citationsOk = CitationsOk(answer);
        tally.Asked++;
        tally.Answerable += q.Answerable ? 1 : 0;
        tally.Unanswerable += q.Answerable ? 0 : 1;
        tally.Found += found ? 1 : 0;
        tally.Refused += !q.Answerable && refused ? 1 : 0;
        tally.WithMarkup += markup is null ? 0 : 1;
        tally.CitationsOk += citationsOk ? 1 : 0;
        tally.GenerationMs += answer.Report.Generation.TotalMilliseconds;
        bool ok = (q.Answerable ? found : refused) && markup is null && citationsOk;
        if (verbose || !ok)
        {
            string verdict = ok ? "ok  " : q.Answerable ? (found ? "MARK" : "MISS") : (refused ? "MARK" : "NOREF");
            Console.WriteLine($"  {verdict} [{q.Kind}] {q.Question}\n       -> {text.ReplaceLineEndings(" / ")}{(markup is null ? "" : $"   (markup: {markup})")}{(citationsOk ? "" : "   (citations wrong)")}");
        }
    }

    return tally;
}

static string StripCitations(string s) => Regex.Replace(s, @"\s*\[\d+(,\s*\d+)*\]", "");

// Every [n] in the text has a citation numbered n, numbers appear first in the order 1, 2, ..., and no citation is unused.
static bool CitationsOk(RagAnswer answer)
{
    var seen = new List<int>();
    foreach (Match m in Regex.Matches(answer.Text, @"\[(\d+)\]"))
    {
        int n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        if (!seen.Contains(n))
        {
            seen.Add(n);
        }
    }

    return seen.SequenceEqual(Enumerable.Range(1, seen.Count))
        && answer.Citations.Select(c => c.Number).Order().SequenceEqual(seen.Order());
}

internal sealed class Tally
{
    public int Asked { get; set; }

    public int Answerable { get; set; }

    public int Unanswerable { get; set; }

    public int Found { get; set; }

    public int Refused { get; set; }

    public int WithMarkup { get; set; }

    public int CitationsOk { get; set; }

    public double GenerationMs { get; set; }

    public void Add(Tally t)
    {
        Asked += t.Asked;
        Answerable += t.Answerable;
        Unanswerable += t.Unanswerable;
        Found += t.Found;
        Refused += t.Refused;
        WithMarkup += t.WithMarkup;
        CitationsOk += t.CitationsOk;
        GenerationMs += t.GenerationMs;
    }
}
