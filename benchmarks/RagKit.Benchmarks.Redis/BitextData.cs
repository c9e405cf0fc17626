using RagKit.Benchmarks.Semantic;

namespace RagKit.Benchmarks.Redis;

/// <summary>A Bitext utterance: question, intent and its own generated response.</summary>
internal sealed record BitextQuery(string Text, string Label, string Response);

/// <summary>
/// The Bitext stream and embeddings through benchmarks/RagKit.Benchmarks.Semantic/Data.cs (linked into this project): the
/// CSV split in half by seed 5 (train / test), Fisher–Yates shuffles, and the embedding cache file that benchmark writes
/// (question vectors keyed by the raw question text, whole-answer vectors keyed "answer:" + response).
/// </summary>
internal static class BitextData
{
    public const string AnswerPrefix = "answer:";

    public static string FindDataDir(string? given)
    {
        if (given is not null)
        {
            return Path.GetFullPath(given);
        }

        for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/data not found above the current directory; pass --data <dir>.");
    }

    public static (List<BitextQuery> Train, List<BitextQuery> Test) Read(string dataDir, int splitSeed = 5)
    {
        (List<LabeledQuery> train, List<LabeledQuery> test) = Data.ReadBitext(
            Path.Combine(dataDir, "semantic", "bitext", "Bitext_Sample_Customer_Support_Training_Dataset.csv"), splitSeed);
        return ([.. train.Select(ToBitext)], [.. test.Select(ToBitext)]);

        static BitextQuery ToBitext(LabeledQuery q) => new(q.Text, q.Label, q.Response!);
    }

    public static List<BitextQuery> Shuffled(List<BitextQuery> queries, int seed)
    {
        var s = new List<BitextQuery>(queries);
        Data.Shuffle(s, seed);
        return s;
    }

    /// <summary>The embedding cache ($TMPDIR/ragkit-semantic-embeddings-v1.bin), only the keys asked for.</summary>
    public static Dictionary<string, float[]> ReadEmbeddings(string path, IReadOnlySet<string> keys)
    {
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        using var r = new BinaryReader(File.OpenRead(path));
        int n = r.ReadInt32();
        int dim = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            string t = r.ReadString();
            if (!keys.Contains(t))
            {
                r.BaseStream.Seek(dim * sizeof(float), SeekOrigin.Current);
                continue;
            }

            var v = new float[dim];
            for (int k = 0; k < dim; k++)
            {
                v[k] = r.ReadSingle();
            }

            vectors[t] = v;
        }

        return vectors;
    }
}
