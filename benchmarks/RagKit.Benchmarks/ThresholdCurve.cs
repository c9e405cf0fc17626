using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using RagKit.Onnx;

namespace RagKit.Benchmarks;

/// <summary>
/// Measures the static-threshold curve on BANKING77 test: the stream is shuffled (seed 7), each miss is inserted,
/// and a hit serves the nearest cached question when similarity is at least t; a hit from another intent is false.
/// </summary>
internal static class ThresholdCurve
{
    public static async Task RunAsync(string dataRoot)
    {
        string path = Path.Combine(dataRoot, "semantic", "banking77", "test.csv");
        if (!File.Exists(path))
        {
            Console.WriteLine($"BANKING77 not found at {path}; pass the data folder as the second argument.");
            return;
        }

        List<(string Text, string Label)> rows = ReadCsv(path);
        var random = new Random(7);
        for (int i = rows.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }

        using var embedder = MiniLmEmbeddingGenerator.Create();
        var vectors = new List<float[]>(rows.Count);
        for (int i = 0; i < rows.Count; i += 64)
        {
            GeneratedEmbeddings<Embedding<float>> batch = await embedder.GenerateAsync(rows.Skip(i).Take(64).Select(r => r.Text));
            vectors.AddRange(batch.Select(e => e.Vector.ToArray()));
        }

        Console.WriteLine($"BANKING77 test: {rows.Count} questions, {rows.Select(r => r.Label).Distinct().Count()} intents, shuffled with seed 7");
        Console.WriteLine("| t | hit rate | false hits (share of all) | precision |");
        Console.WriteLine("|---|---|---|---|");
        foreach (float t in new[] { 0.75f, 0.80f, 0.85f, 0.90f, 0.95f })
        {
            var cached = new List<int>();
            int hits = 0, falseHits = 0;
            for (int i = 0; i < rows.Count; i++)
            {
                int best = -1;
                float bestSim = float.NegativeInfinity;
                foreach (int c in cached)
                {
                    float s = TensorPrimitives.Dot(vectors[i], vectors[c]);
                    if (s > bestSim)
                    {
                        bestSim = s;
                        best = c;
                    }
                }

                if (best >= 0 && bestSim >= t)
                {
                    hits++;
                    if (rows[best].Label != rows[i].Label)
                    {
                        falseHits++;
                    }
                }
                else
                {
                    cached.Add(i);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {t:F2} | {100.0 * hits / rows.Count:F1} % | {100.0 * falseHits / rows.Count:F2} % | {(hits == 0 ? 0 : 100.0 * (hits - falseHits) / hits):F1} % |"));
        }
    }

    /// <summary>Reads `text,category` rows; quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private static List<(string, string)> ReadCsv(string path)
    {
        string all = File.ReadAllText(path);
        var rows = new List<(string, string)>();
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < all.Length; i++)
        {
            char c = all[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < all.Length && all[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                if (fields.Count == 2)
                {
                    rows.Add((fields[0], fields[1]));
                }

                fields.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0)
        {
            fields.Add(field.ToString().TrimEnd('\r'));
            if (fields.Count == 2)
            {
                rows.Add((fields[0], fields[1]));
            }
        }

        return rows.Skip(1).ToList(); // header
    }
}
