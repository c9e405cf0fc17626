using System.Text;

namespace RagKit.Benchmarks.Redis;

/// <summary>A Bitext utterance: question, intent and its own generated response.</summary>
internal sealed record BitextQuery(string Text, string Label, string Response);

/// <summary>
/// The Bitext stream and embeddings, as benchmarks/RagKit.Benchmarks.Semantic/Data.cs loads them (copied, minimal): the CSV
/// split in half by seed 5 (train / test), Fisher–Yates shuffles, and the embedding cache file that benchmark writes
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
        List<string[]> rows = ReadCsv(Path.Combine(dataDir, "semantic", "bitext", "Bitext_Sample_Customer_Support_Training_Dataset.csv"));
        string[] header = rows[0];
        int q = Array.IndexOf(header, "instruction"), intent = Array.IndexOf(header, "intent"), response = Array.IndexOf(header, "response");
        var all = rows.Skip(1).Where(r => r.Length == header.Length).Select(r => new BitextQuery(r[q], r[intent], r[response])).ToList();
        Shuffle(all, splitSeed);
        int half = all.Count / 2;
        return (all.Take(half).ToList(), all.Skip(half).ToList());
    }

    public static List<BitextQuery> Shuffled(List<BitextQuery> queries, int seed)
    {
        var s = new List<BitextQuery>(queries);
        Shuffle(s, seed);
        return s;
    }

    public static void Shuffle<T>(IList<T> list, int seed)
    {
        var rng = new Random(seed);
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
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

    /// <summary>RFC 4180 CSV: quoted fields with "" escapes and line breaks inside quotes.</summary>
    private static List<string[]> ReadCsv(string path)
    {
        var rows = new List<string[]>();
        string all = File.ReadAllText(path);
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < all.Length; i++)
        {
            char c = all[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < all.Length && all[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case ',':
                    fields.Add(sb.ToString());
                    sb.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(sb.ToString());
                    sb.Clear();
                    rows.Add([.. fields]);
                    fields.Clear();
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        if (sb.Length > 0 || fields.Count > 0)
        {
            fields.Add(sb.ToString());
            rows.Add([.. fields]);
        }

        return rows;
    }
}
