using System.Globalization;
using System.Numerics.Tensors;
using RagKit.Caching;
using RagKit.Redis;

namespace RagKit.Benchmarks.Redis;

/// <summary>
/// Bitext through the Redis tier with answers linked by embedding (entry format 2), against the same tier comparing
/// answers by text only (what it did before), and against the in-process tier; each against the static curve of the same
/// stream in the same run (thresholds 0.70–0.97 through the same tier), as docs/semantic.md measures. Train (selection
/// stream, seed 3) and test (seeds 7, 8, 9).
/// </summary>
internal static class BitextEvaluation
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly float[] Grid = [.. Enumerable.Range(0, 28).Select(i => 0.70f + (0.01f * i))];

    public static async Task RunAsync(string endpoint, string dataDir, string embeddingsPath, int[] testSeeds)
    {
        (List<BitextQuery> train, List<BitextQuery> test) = BitextData.Read(dataDir);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (BitextQuery q in train.Concat(test))
        {
            keys.Add(q.Text);
            keys.Add(BitextData.AnswerPrefix + q.Response);
        }

        Dictionary<string, float[]> vectors = BitextData.ReadEmbeddings(embeddingsPath, keys);
        if (vectors.Count != keys.Count)
        {
            throw new InvalidOperationException($"{keys.Count - vectors.Count} of {keys.Count} texts are not in {embeddingsPath}: run the semantic benchmark's --generalize once.");
        }

        Console.WriteLine($"Bitext: {train.Count} train / {test.Count} test utterances; embeddings from {embeddingsPath}; redis {endpoint}");
        Bytes(train.Concat(test).ToList(), vectors);

        ISemanticMatchRule rule = SemanticMatchRules.Neighbourhood();
        Console.WriteLine($"rule: {rule.Name}, answer similarity {AnswerLinksSimilarity(rule):F2}; unsupported threshold 0.90");
        Console.WriteLine();
        Console.WriteLine("| stream | seed | tier, answer equivalence | hit rate | false hits | static at the same false-hit rate (same tier) | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var streams = new List<(string Name, int Seed, List<BitextQuery> Queries)> { ("Bitext train", 3, BitextData.Shuffled(train, 3)) };
        streams.AddRange(testSeeds.Select(s => ("Bitext test", s, BitextData.Shuffled(test, s))));
        foreach ((string name, int seed, List<BitextQuery> queries) in streams)
        {
            var redisStatic = new List<StreamResult>();
            foreach (float t in Grid)
            {
                redisStatic.Add(await BitextStream.RedisAsync(endpoint, "static", queries, vectors, SemanticMatchRules.Static, t, answerVectors: false));
            }

            List<StreamResult> inProcessStatic = [.. Grid.Select(t => BitextStream.InProcess("static", queries, vectors, SemanticMatchRules.Static, t, answerVectors: false))];
            Report(name, seed, "Redis, answer links (this change)", await BitextStream.RedisAsync(endpoint, "links", queries, vectors, rule, 0.90f, answerVectors: true), redisStatic);
            Report(name, seed, "Redis, links replayed at lookup among the 8 neighbours", await BitextStream.RedisAsync(endpoint, "lookup", queries, vectors, rule, 0.90f, answerVectors: true,
                (o, c) => { if (c is RedisSemanticCacheImpl impl) { impl.AnswersComparedAtLookup = true; } }), redisStatic);
            Report(name, seed, "Redis, answer links, 16 neighbours (Candidates = 16)", await BitextStream.RedisAsync(endpoint, "links16", queries, vectors, rule, 0.90f, answerVectors: true,
                (o, c) => o.Candidates = 16), redisStatic);
            Report(name, seed, "Redis, answers by text only (before)", await BitextStream.RedisAsync(endpoint, "text", queries, vectors, rule, 0.90f, answerVectors: false), redisStatic);
            Report(name, seed, "in-process, answer clusters", BitextStream.InProcess("in-process", queries, vectors, rule, 0.90f, answerVectors: true), inProcessStatic);
            Report(name, seed, "in-process, answers by text only", BitextStream.InProcess("in-process text", queries, vectors, rule, 0.90f, answerVectors: false), inProcessStatic);
            StreamResult r90 = redisStatic.First(r => Math.Abs(r.Threshold - 0.90f) < 0.001f);
            StreamResult p90 = inProcessStatic.First(r => Math.Abs(r.Threshold - 0.90f) < 0.001f);
            Console.WriteLine(string.Create(Inv, $"| {name} | {seed} | static t = 0.90 (Redis / in-process) | {r90.HitRate:P1} / {p90.HitRate:P1} | {r90.FalseHitRate:P2} / {p90.FalseHitRate:P2} | | |"));
        }
    }

    private static float AnswerLinksSimilarity(ISemanticMatchRule rule) => rule.AnswerSimilarity;

    private static void Report(string stream, int seed, string config, StreamResult r, List<StreamResult> curve)
    {
        double st = BitextStream.InterpolateHitRate(curve, r.FalseHitRate);
        Console.WriteLine(string.Create(Inv, $"| {stream} | {seed} | {config} | {r.HitRate:P1} | {r.FalseHitRate:P2} | {st:P1} | **{r.HitRate / st:F2}×** |"));
    }

    /// <summary>Bytes per stored entry (format 1, format 2 without and with the answer vector) and int8's cosine error on answer pairs.</summary>
    private static void Bytes(List<BitextQuery> all, Dictionary<string, float[]> vectors)
    {
        long v1 = 0, v2Text = 0, v2 = 0, f16 = 0;
        foreach (BitextQuery q in all)
        {
            float[] question = vectors[q.Text];
            float[] answer = vectors[BitextData.AnswerPrefix + q.Response];
            CachedAnswer with = BitextStream.Answer(QuestionNormalizer.Normalize(q.Text), q.Response, answer);
            CachedAnswer without = BitextStream.Answer(QuestionNormalizer.Normalize(q.Text), q.Response, null);
            v1 += EntryCodec.EncodeEntryVersion1(question, RedisEmbeddingEncoding.Float16, without).Length;
            v2Text += EntryCodec.EncodeEntry(question, RedisEmbeddingEncoding.Float16, without).Length;
            v2 += EntryCodec.EncodeEntry(question, RedisEmbeddingEncoding.Float16, with, new EntryLink(1, 1, 1)).Length;
            f16 += EntryCodec.VectorSize(RedisEmbeddingEncoding.Float16, answer.Length) - EntryCodec.VectorSize(RedisEmbeddingEncoding.Int8, answer.Length);
        }

        int n = all.Count;
        Console.WriteLine(string.Create(Inv, $"bytes per entry (Bitext, {n} entries, question vectors f16, default): format 1 {(double)v1 / n:F0}; format 2 without an answer vector {(double)v2Text / n:F0} (+{(double)(v2Text - v1) / n:F0}); with the int8 answer vector {(double)v2 / n:F0} (+{(double)(v2 - v1) / n:F0}, {(double)(v2 - v1) / v1:P1}); an f16 answer vector would add {(double)f16 / n:F0} more"));

        // int8's error on the decision's input: answer cosine of consecutive pairs, f32 against the decoded int8 vectors.
        var rng = new Random(1);
        double sumErr = 0, maxErr = 0;
        int pairs = 0, flips = 0;
        var a = new float[384];
        var b = new float[384];
        for (int i = 0; i < 20_000; i++)
        {
            float[] x = vectors[BitextData.AnswerPrefix + all[rng.Next(n)].Response];
            float[] y = vectors[BitextData.AnswerPrefix + all[rng.Next(n)].Response];
            EntryCodec.TryDecodeVector(EntryCodec.EncodeVector(x, RedisEmbeddingEncoding.Int8), x.Length, a);
            EntryCodec.TryDecodeVector(EntryCodec.EncodeVector(y, RedisEmbeddingEncoding.Int8), y.Length, b);
            float exact = TensorPrimitives.CosineSimilarity(x, y);
            float quantized = TensorPrimitives.CosineSimilarity(a, b);
            double err = Math.Abs(exact - quantized);
            sumErr += err;
            maxErr = Math.Max(maxErr, err);
            flips += (exact >= 0.60f) != (quantized >= 0.60f) ? 1 : 0;
            pairs++;
        }

        Console.WriteLine(string.Create(Inv, $"int8 answer vectors: cosine error on {pairs:N0} random answer pairs mean {sumErr / pairs:F5}, max {maxErr:F5}; pairs on the other side of 0.60: {flips}"));
    }
}
