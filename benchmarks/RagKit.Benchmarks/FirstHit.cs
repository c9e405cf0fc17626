using System.Diagnostics;
using RagKit.Onnx;

namespace RagKit.Benchmarks;

/// <summary>
/// The first semantic hit in a process against steady-state hits: lookup time only (the report's SemanticLookup,
/// which excludes the embedding), measured on a freshly built pipeline. Run it as its own process so nothing is warm.
/// </summary>
internal static class FirstHit
{
    private static readonly (string Question, string Paraphrase)[] Pairs =
    [
        ("How many days of leave do I get per year?", "How many leave days per year do I get?"),
        ("When are refunds paid back?", "When do refunds get paid back?"),
        ("How do I reset my password?", "How can I reset my password?"),
        ("What does shipping cost within the EU?", "What is the shipping cost within the EU?"),
        ("How long is the warranty on devices?", "How long is the device warranty?"),
        ("Which payment methods are accepted?", "Which payment methods do you accept?"),
    ];

    public static async Task RunAsync()
    {
        using var embedder = MiniLmEmbeddingGenerator.Create();
        long buildStart = Stopwatch.GetTimestamp();
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).Build();
        TimeSpan build = Stopwatch.GetElapsedTime(buildStart);
        var scope = new RagScope("acme");
        await rag.IngestAsync(scope,
        [
            new RagDocument("leave", "Employees get 25 days of paid leave per year."),
            new RagDocument("refunds", "Refunds are paid back to the original card within five business days."),
            new RagDocument("passwords", "To reset your password, open Settings, choose Security and press Reset password."),
            new RagDocument("shipping", "Shipping costs five euros within the EU."),
            new RagDocument("warranty", "Every device carries a two year warranty."),
            new RagDocument("payments", "We accept credit cards, PayPal and bank transfer."),
        ]);

        var lookups = new List<double>();
        foreach ((string question, string paraphrase) in Pairs)
        {
            await rag.AskAsync(question, new AskOptions(scope));

            // Let the write-back of the generated answer finish: this measures the lookup, not its overlap with a store.
            await Task.Delay(100);
            RagAnswer hit = await rag.AskAsync(paraphrase, new AskOptions(scope));
            if (hit.Tier != AnswerTier.Semantic)
            {
                Console.WriteLine($"  (not a semantic hit: '{paraphrase}' was {hit.Tier})");
                continue;
            }

            lookups.Add(hit.Report.SemanticLookup.TotalMilliseconds);
        }

        Console.WriteLine($"pipeline build: {build.TotalMilliseconds:F1} ms");
        Console.WriteLine($"first semantic hit, lookup: {lookups[0]:F3} ms");
        double steady = lookups.Skip(1).Order().ElementAt((lookups.Count - 1) / 2);
        Console.WriteLine($"later semantic hits, lookup median: {steady:F3} ms (n = {lookups.Count - 1})");
        Console.WriteLine($"first / steady: {lookups[0] / steady:F1}x");
    }
}
