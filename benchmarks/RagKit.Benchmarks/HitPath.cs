using System.Diagnostics;
using RagKit.Onnx;

namespace RagKit.Benchmarks;

/// <summary>
/// The pipeline's exact-hit path end to end (<c>IRagPipeline.AskAsync</c> of a question asked before): nanoseconds and
/// managed bytes per ask, over rounds, median reported. Uses only public API, so the same file measures an older
/// commit for an A/B in the same run (eng/ab-hitpath.sh).
/// </summary>
internal static class HitPath
{
    public static async Task RunAsync(int rounds)
    {
        using var embedder = MiniLmEmbeddingGenerator.Create();
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).Build();
        var scope = new RagScope("acme");
        await rag.IngestAsync(scope, [new RagDocument("passwords", "To reset your password, open Settings, choose Security and press Reset password.")]);
        var options = new AskOptions(scope);
        const string question = "How do I reset my password?";
        await rag.AskAsync(question, options);
        string asked = new(question.AsSpan()); // not interned, like a request string
        if ((await rag.AskAsync(asked, options)).Tier != AnswerTier.Exact)
        {
            throw new InvalidOperationException("The second ask was not an exact hit.");
        }

        const int perRound = 200_000;
        var ns = new List<double>();
        var bytes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < perRound; i++)
            {
                _ = rag.AskAsync(asked, options).Result;
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            ns.Add(elapsed.TotalNanoseconds / perRound);
            bytes.Add((GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)perRound);
        }

        Console.WriteLine($"exact hit through AskAsync: median {ns.Order().ElementAt(ns.Count / 2):F1} ns/ask, {bytes.Order().ElementAt(bytes.Count / 2):F0} B/ask (rounds {rounds} x {perRound})");
    }
}
