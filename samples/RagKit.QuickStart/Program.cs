using Microsoft.Extensions.AI;
using RagKit;
#if USE_LLAMASHARP
using RagKit.LLamaSharp;
#endif
using RagKit.Onnx;
using RagKit.Retrieval;
using Spectre.Console;

// RagKit quickstart: ingest a folder of Markdown/text files, then answer questions and show which tier served them.
//   dotnet run --project samples/RagKit.QuickStart -- [--docs DIR] [--store DIR] [--model FILE.gguf] [question ...]
// --model needs LLamaSharp, which extractive mode leaves out of the build (and its natives out of bin/):
//   dotnet run --project samples/RagKit.QuickStart -p:UseLLamaSharp=true -- --model FILE.gguf
// With no questions it asks a demo sequence (a question, the same again, a paraphrase) and then prompts.
var questions = new List<string>();
string? docsDir = null, storeDir = null, modelPath = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--docs" when i + 1 < args.Length: docsDir = args[++i]; break;
        case "--store" when i + 1 < args.Length: storeDir = args[++i]; break;
        case "--model" when i + 1 < args.Length: modelPath = args[++i]; break;
        case "--help" or "-h":
            Console.WriteLine("usage: RagKit.QuickStart [--docs DIR] [--store DIR] [--model FILE.gguf] [question ...]");
            return 0;
        default: questions.Add(args[i]); break;
    }
}

docsDir ??= FindDocsFolder();
if (docsDir is null || !Directory.Exists(docsDir))
{
    AnsiConsole.MarkupLineInterpolated($"[red]No documents folder found[/] ({docsDir ?? "docs/"}); pass one with --docs DIR.");
    return 1;
}

using var embedder = MiniLmEmbeddingGenerator.Create();
IChatClient? generator = null;
if (modelPath is not null)
{
#if USE_LLAMASHARP
    generator = LLamaSharpChatClient.FromModelPath(modelPath, o => o.MaxTokens = 128);
    AnsiConsole.MarkupLineInterpolated($"Generator: [green]{Path.GetFileName(modelPath)}[/] (LLamaSharp)");
#else
    AnsiConsole.MarkupLine("[red]--model needs LLamaSharp[/], left out of this build: run with [bold]-p:UseLLamaSharp=true[/], e.g.");
    AnsiConsole.MarkupLine("  dotnet run --project samples/RagKit.QuickStart -p:UseLLamaSharp=true -- --model FILE.gguf");
    return 1;
#endif
}
else
{
    AnsiConsole.MarkupLine("Generator: [yellow]extractive[/] (pass --model FILE.gguf to generate with a local model)");
}

IVectorStore store = storeDir is null ? EmbeddedVectorStore.InMemory() : EmbeddedVectorStore.Open(storeDir);
using IRagPipeline rag = new RagPipelineBuilder()
    .UseEmbeddingGenerator(embedder)
    .UseChatClient(generator)
    .UseVectorStore(store)
    .Build();

var scope = new RagScope("quickstart", "docs");
RagDocument[] documents = Directory.EnumerateFiles(docsDir, "*.*", SearchOption.AllDirectories)
    .Where(f => f.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
    .Order(StringComparer.Ordinal)
    .Select(f => (Path: f, Text: File.ReadAllText(f)))
    .Where(f => !string.IsNullOrWhiteSpace(f.Text)) // an empty file has nothing to ingest
    .Select(f => new RagDocument(Path.GetRelativePath(docsDir, f.Path), f.Text) { Title = Path.GetFileNameWithoutExtension(f.Path) })
    .ToArray();

IngestResult ingested = null!;
await AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
    .StartAsync(async ctx =>
    {
        ProgressTask task = ctx.AddTask($"Ingesting {documents.Length} documents", maxValue: 1);
        var progress = new Progress<IngestProgress>(p =>
        {
            // By chunk: embedding is where the time goes.
            task.MaxValue = Math.Max(1, p.ChunksTotal);
            task.Value = p.ChunksEmbedded;
            task.Description = $"Ingesting {p.DocumentsTotal} documents: {p.ChunksEmbedded:N0} of {p.ChunksTotal:N0} chunks embedded";
        });
        ingested = await rag.IngestAsync(scope, documents, progress);
        task.Value = task.MaxValue;
    });
AnsiConsole.MarkupLineInterpolated($"Ingested [green]{ingested.Added + ingested.Updated}[/] documents ({ingested.Unchanged} unchanged) into [green]{ingested.Chunks}[/] chunks from {docsDir}");

if (questions.Count == 0)
{
    questions.AddRange(["What is RagKit?", "What is RagKit?", "What does RagKit do?", "How are cached answers invalidated when a document changes?"]);
}

foreach (string question in questions)
{
    await AskAsync(question);
}

if (!Console.IsInputRedirected && args.Length == 0)
{
    while (true)
    {
        string q = AnsiConsole.Prompt(new TextPrompt<string>("[bold]Ask[/] (empty to quit):").AllowEmpty());
        if (string.IsNullOrWhiteSpace(q))
        {
            break;
        }

        await AskAsync(q);
    }
}

generator?.Dispose();
(store as IDisposable)?.Dispose();
return 0;

async Task AskAsync(string question)
{
    RagAnswer answer;
    try
    {
        answer = await rag.AskAsync(question, new AskOptions(scope));
    }
    catch (ArgumentException ex)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
        return;
    }

    string color = answer.Tier switch { AnswerTier.Exact => "green", AnswerTier.Semantic => "aqua", _ => "yellow" };
    string similarity = answer.Report.Similarity is { } s ? $", similarity {s:F3}" : string.Empty;
    AnsiConsole.WriteLine();
    AnsiConsole.MarkupLineInterpolated($"[bold]Q:[/] {question}");
    AnsiConsole.MarkupLineInterpolated($"[bold]A:[/] {answer.Text}");
    foreach (Citation c in answer.Citations)
    {
        AnsiConsole.MarkupLineInterpolated($"   [grey][[{c.Number}]] {c.DocumentId} ({c.ChunkId}, score {c.Score:F2})[/]");
    }

    AnsiConsole.MarkupLineInterpolated($"   [{color}]{answer.Tier}[/]{similarity} in [bold]{answer.Report.Total.TotalMilliseconds:F3} ms[/] ({Stages(answer.Report)}){(answer.IsExtractive ? ", extractive" : string.Empty)}");
}

// Every stage the ask went through, in order; a stage it never reached is left out.
static string Stages(TierReport r)
{
    var parts = new List<string>();
    if (r.ExactLookup > TimeSpan.Zero)
    {
        parts.Add($"exact lookup {r.ExactLookup.TotalMilliseconds:F3} ms");
    }

    if (r.Embedding > TimeSpan.Zero)
    {
        parts.Add($"embed {r.Embedding.TotalMilliseconds:F1} ms");
    }

    if (r.SemanticLookup > TimeSpan.Zero)
    {
        parts.Add($"semantic lookup {r.SemanticLookup.TotalMilliseconds:F3} ms");
    }

    if (r.Retrieval > TimeSpan.Zero)
    {
        parts.Add($"retrieve {r.Retrieval.TotalMilliseconds:F1} ms{(r.RetrievalCached ? " (cached)" : string.Empty)}");
    }

    if (r.Generation > TimeSpan.Zero)
    {
        parts.Add($"generate {r.Generation.TotalMilliseconds:F1} ms");
    }

    if (r.SkippedTiers.Count > 0)
    {
        parts.Add($"skipped {string.Join(", ", r.SkippedTiers)}");
    }

    return string.Join(", ", parts);
}

static string? FindDocsFolder()
{
    // The repository's own docs/ folder: walk up from the working directory and from the binary.
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "docs");
            if (File.Exists(Path.Combine(candidate, "what-is-ragkit.md")))
            {
                return candidate;
            }
        }
    }

    return null;
}
