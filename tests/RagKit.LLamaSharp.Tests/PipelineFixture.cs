using RagKit.Ingestion;
using RagKit.Onnx;
using RagKit.TestModels;

namespace RagKit.LLamaSharp.Tests;

/// <summary>The real MiniLM embedder and two tiny random GGUF models: one that always runs to its token limit, one that ends its answers.</summary>
public sealed class PipelineFixture : IDisposable
{
    public static readonly RagDocument[] Documents =
    [
        new("pin", "To reset your card PIN, open the app, choose Cards, then Security, and pick a new four digit PIN. The new PIN works at once.") { Title = "Card PIN" },
        new("transfer", "A transfer is declined when the balance is too low, the daily limit is reached, or the receiving bank rejects it.") { Title = "Declined transfers" },
        new("address", "You can change your home address online under Profile, Personal details. A letter confirms the change within a week.") { Title = "Address change" },
        new("fees", "Currency exchange costs a fee of 0.5 percent on weekdays and 1 percent at weekends, shown before you confirm.") { Title = "Exchange fees" },
    ];

    public static readonly string[] Questions =
    [
        "How do I reset my card PIN?",
        "Why was my transfer declined?",
        "Can I change my address online?",
        "What is the fee for currency exchange?",
    ];

    public PipelineFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "ragkit-llama-pipeline-" + Guid.NewGuid().ToString("N"));
        Embedder = MiniLmEmbeddingGenerator.Create();

        // Random weights: greedy decoding never emits </s>, so every answer runs to the token limit (incomplete).
        RunsToLimitPath = TinyGgufWriter.Write(Path.Combine(Directory, "runs-to-limit.gguf"));

        // Same weights, but </s> is aligned with the newline byte's embedding: greedy decoding ends the answer right
        // after the first generated newline (9 characters into every answer of these documents), FinishReason.Stop.
        EndsAnswersPath = TinyGgufWriter.Write(Path.Combine(Directory, "ends-answers.gguf"), new TinyGgufSpec { EndOfTextAfterByte = (byte)'\n', EndOfTextStrength = 0.3f });
        RunsToLimit = new LLamaSharpChatClient(Options(RunsToLimitPath));
        EndsAnswers = new LLamaSharpChatClient(Options(EndsAnswersPath));
    }

    public string RunsToLimitPath { get; }

    public string EndsAnswersPath { get; }

    /// <summary>Generator whose answers are always cut off by MaxTokens.</summary>
    public LLamaSharpChatClient RunsToLimit { get; }

    /// <summary>Generator whose answers end by themselves (complete, so they are cached).</summary>
    public LLamaSharpChatClient EndsAnswers { get; }

    public static LLamaSharpGeneratorOptions Options(string path, Action<LLamaSharpGeneratorOptions>? configure = null)
    {
        var options = new LLamaSharpGeneratorOptions { ModelPath = path, ContextSize = 1024, Threads = 2, MaxTokens = 32, MaxConcurrentRequests = 4 };
        configure?.Invoke(options);
        return options;
    }

    public string Directory { get; }

    public MiniLmEmbeddingGenerator Embedder { get; }

    public void Dispose()
    {
        RunsToLimit.Dispose();
        EndsAnswers.Dispose();
        Embedder.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
