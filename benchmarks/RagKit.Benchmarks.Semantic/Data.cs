using System.Text;
using Microsoft.Extensions.AI;

namespace RagKit.Benchmarks.Semantic;

/// <summary>A query of an intent data set; <paramref name="Response"/> is its own answer text when the data set has one
/// (Bitext), otherwise the answer is the label (one answer per intent, BANKING77).</summary>
internal sealed record LabeledQuery(string Text, string Label, string? Response = null)
{
    public string AnswerText => Response ?? Label;
}

internal sealed record SentencePair(string First, string Second, bool Paraphrase);

internal static class Data
{
    public static string FindDataDir(string[] args)
    {
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            return Path.GetFullPath(args[0]);
        }

        for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/data not found above the current directory; pass the data directory as the first argument.");
    }

    /// <summary>BANKING77 CSV: header, then text,category; quoted fields with "" escapes; CRLF.</summary>
    public static List<LabeledQuery> ReadBanking(string path)
    {
        var rows = new List<LabeledQuery>();
        string all = File.ReadAllText(path);
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        bool header = true;
        for (int i = 0; i < all.Length; i++)
        {
            char c = all[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < all.Length && all[i + 1] == '"')
                    {
                        sb.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
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
                    if (!header && fields.Count == 2)
                    {
                        rows.Add(new LabeledQuery(fields[0], fields[1]));
                    }

                    header = false;
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
            if (fields.Count == 2)
            {
                rows.Add(new LabeledQuery(fields[0], fields[1]));
            }
        }

        return rows;
    }

    /// <summary>
    /// Bitext customer-support CSV (header; quoted multi-line fields): instruction, intent, response. The questions are
    /// split into train and test by a fixed seed (half each), so settings are chosen on train and reported on test.
    /// </summary>
    public static (List<LabeledQuery> Train, List<LabeledQuery> Test) ReadBitext(string path, int splitSeed = 5)
    {
        List<string[]> rows = ReadCsv(path);
        string[] header = rows[0];
        int q = Array.IndexOf(header, "instruction"), intent = Array.IndexOf(header, "intent"), response = Array.IndexOf(header, "response");
        var all = rows.Skip(1).Where(r => r.Length == header.Length).Select(r => new LabeledQuery(r[q], r[intent], r[response])).ToList();
        Shuffle(all, splitSeed);
        int half = all.Count / 2;
        return (all.Take(half).ToList(), all.Skip(half).ToList());
    }

    /// <summary>RFC 4180 CSV: quoted fields with "" escapes and line breaks inside quotes.</summary>
    public static List<string[]> ReadCsv(string path)
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

    public static List<SentencePair> ReadPaws(string path) =>
        [.. File.ReadLines(path).Skip(1).Select(l => l.Split('\t')).Where(f => f.Length >= 4)
            .Select(f => new SentencePair(f[1], f[2], f[3].Trim() == "1"))];

    public static List<SentencePair> ReadStsb(string path) =>
        [.. File.ReadLines(path).Select(l => l.Split('\t')).Where(f => f.Length >= 7)
            .Select(f => new SentencePair(f[5], f[6], double.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture) >= 4.0))];

    public static void Shuffle<T>(IList<T> list, int seed)
    {
        var rng = new Random(seed);
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}

/// <summary>Embeddings of every text, cached in a temp file keyed by text so reruns skip the model.</summary>
internal sealed class EmbeddingStore
{
    private readonly Dictionary<string, float[]> _vectors = new(StringComparer.Ordinal);
    private readonly string _path;

    public EmbeddingStore(string path)
    {
        _path = path;
        if (File.Exists(path))
        {
            using var r = new BinaryReader(File.OpenRead(path));
            int n = r.ReadInt32();
            int dim = r.ReadInt32();
            for (int i = 0; i < n; i++)
            {
                string t = r.ReadString();
                var v = new float[dim];
                for (int k = 0; k < dim; k++)
                {
                    v[k] = r.ReadSingle();
                }

                _vectors[t] = v;
            }
        }
    }

    public float[] this[string text] => _vectors[text];

    /// <summary>
    /// Which answer vectors the answer-equivalence runs use (<c>--answers=full|64|rest</c>): <c>full</c> (default) is what
    /// the library stores — the whole answer through the app's embedder at its MaxTokens (256); <c>64</c> the first 64
    /// tokens (rounds four and five); <c>rest</c> the whole answer with its first sentence (generic empathy) skipped.
    /// </summary>
    public static string AnswerMode { get; set; } = "full";

    /// <summary>Key prefix of each answer-vector kind in the store.</summary>
    public static string AnswerPrefix(string mode) => mode switch
    {
        "64" => "answer64:",
        "rest" => "answer-rest:",
        _ => "answer:",
    };

    /// <summary>Key of an answer's embedding of the selected <see cref="AnswerMode"/>.</summary>
    public static string AnswerKey(string answer) => AnswerPrefix(AnswerMode) + answer;

    /// <summary>Tokens of an answer embedded for the <c>64</c> mode (rounds four and five).</summary>
    public const int AnswerTokens = 64;

    /// <summary>The answer with its first sentence skipped (when something is left): generated support answers open with
    /// a generic sentence ("I'm sorry to hear that ...") shared across intents.</summary>
    public static string SkipFirstSentence(string answer)
    {
        for (int i = 0; i < answer.Length - 1; i++)
        {
            if ((answer[i] is '.' or '!' or '?' && char.IsWhiteSpace(answer[i + 1])) || answer[i] == '\n')
            {
                string rest = answer[(i + 1)..].Trim();
                return rest.Length >= 20 ? rest : answer;
            }
        }

        return answer;
    }

    public async Task EnsureAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, IEnumerable<string> texts, string keyPrefix = "", Func<string, string>? transform = null)
    {
        List<string> missing = [.. texts.Distinct(StringComparer.Ordinal).Where(t => !_vectors.ContainsKey(keyPrefix + t))];
        if (missing.Count == 0)
        {
            return;
        }

        Console.Error.WriteLine($"embedding {missing.Count} texts with MiniLM (cached afterwards in {_path}) ...");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < missing.Count; i += 64)
        {
            List<string> batch = missing.GetRange(i, Math.Min(64, missing.Count - i));
            GeneratedEmbeddings<Embedding<float>> e = await embedder.GenerateAsync(transform is null ? batch : batch.ConvertAll(t => transform(t)));
            for (int k = 0; k < batch.Count; k++)
            {
                _vectors[keyPrefix + batch[k]] = e[k].Vector.ToArray();
            }

            if ((i / 64) % 20 == 0)
            {
                Console.Error.WriteLine($"  {i + batch.Count}/{missing.Count} in {sw.Elapsed.TotalSeconds:F0} s");
            }
        }

        string tmp = _path + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp)))
        {
            w.Write(_vectors.Count);
            w.Write(_vectors.Values.First().Length);
            foreach ((string t, float[] v) in _vectors)
            {
                w.Write(t);
                foreach (float f in v)
                {
                    w.Write(f);
                }
            }
        }

        File.Move(tmp, _path, overwrite: true);
    }
}
