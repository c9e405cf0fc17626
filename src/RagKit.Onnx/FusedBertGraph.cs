using System.Buffers.Binary;
using static RagKit.Onnx.OnnxNodes;

namespace RagKit.Onnx;

/// <summary>
/// Rebuilds the embedded BERT graph from its weights with ONNX Runtime's fused transformer operators
/// (com.microsoft <c>EmbedLayerNormalization</c>, <c>Attention</c>, <c>SkipLayerNormalization</c>, <c>BiasGelu</c>):
/// about 7 nodes per layer instead of about 30. The exported graph's attention is not fused by ONNX Runtime at load
/// (its reshape pattern does not match), so every call ran ~185 nodes, a dozen of them shape arithmetic on the CPU, and
/// wrote the full batch × heads × sequence × sequence score tensor per layer. The fused attention keeps scores in
/// on-chip memory on CUDA and needs no shape nodes at all.
/// </summary>
/// <remarks>
/// The rebuilt graph computes the same function as the export: the same weights, exact (erf) GELU, layer
/// normalization epsilon 1e-12, scale 1/√head size, and padding masked out. Padding must be on the right (the
/// tokenizer pads there), because the attention mask is passed as each row's length. It has the same inputs
/// and the same <c>last_hidden_state</c> output, so <see cref="PoolingGraph"/> and <see cref="HalfPrecisionGraph"/>
/// apply to it unchanged. The weights are found by name (the Hugging Face BERT export's initializer names) and,
/// for the unnamed matrix weights, by the MatMul that feeds each named bias's Add.
/// </remarks>
internal static class FusedBertGraph
{
    private const string MicrosoftDomain = "com.microsoft";
    private const string Prefix = "ragkit_fused_";
    private const float Epsilon = 1e-12f;


    /// <summary>Returns the fused model.</summary>
    /// <param name="model">The serialized ONNX ModelProto of a BERT encoder exported from Hugging Face.</param>
    /// <param name="heads">The number of attention heads.</param>
    /// <param name="hiddenOutput">The name of the [batch, sequence, hidden] output.</param>
    /// <exception cref="InvalidDataException">The graph is not a BERT encoder this method recognizes.</exception>
    public static byte[] Build(byte[] model, int heads, string hiddenOutput)
    {
        long irVersion = 7;
        ReadOnlyMemory<byte> graphBytes = default;
        foreach (ProtoField field in new ProtoReader(model))
        {
            if (field.IsVarint(1))
            {
                irVersion = (long)field.Varint;
            }
            else if (field.IsBytes(7))
            {
                graphBytes = model.AsMemory(OffsetIn(model, field.Bytes), field.Bytes.Length);
            }
        }

        if (graphBytes.IsEmpty)
        {
            throw new InvalidDataException("The ONNX model has no graph.");
        }

        // Initializers are slices of the model (the weights are most of its 90 MB): copied once, into the result.
        var initializers = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var inputs = new List<byte[]>();
        var matMulWeightByOutput = new Dictionary<string, string>(StringComparer.Ordinal);
        var adds = new List<(string A, string B)>();
        foreach (ProtoField field in new ProtoReader(graphBytes.Span))
        {
            if (field.IsBytes(5))
            {
                initializers[TensorName(field.Bytes)] = model.AsMemory(OffsetIn(model, field.Bytes), field.Bytes.Length);
            }
            else if (field.IsBytes(11))
            {
                inputs.Add(field.Bytes.ToArray());
            }
            else if (field.IsBytes(1))
            {
                ReadNode(field.Bytes, out string op, out List<string> nodeInputs, out List<string> nodeOutputs);
                if (op == "MatMul" && nodeInputs.Count == 2 && nodeOutputs.Count == 1)
                {
                    matMulWeightByOutput[nodeOutputs[0]] = nodeInputs[1];
                }
                else if (op == "Add" && nodeInputs.Count == 2)
                {
                    adds.Add((nodeInputs[0], nodeInputs[1]));
                }
            }
        }

        // The weight of each dense layer: the MatMul whose output is added to that layer's named bias.
        var weightByBias = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string a, string b) in adds)
        {
            (string bias, string other) = initializers.ContainsKey(a) ? (a, b) : (b, a);
            if (initializers.ContainsKey(bias) && matMulWeightByOutput.TryGetValue(other, out string? weight)
                && initializers.ContainsKey(weight))
            {
                weightByBias[bias] = weight;
            }
        }

        int layers = 0;
        while (initializers.ContainsKey($"encoder.layer.{layers}.attention.self.query.bias"))
        {
            layers++;
        }

        if (layers == 0)
        {
            throw new InvalidDataException("The ONNX model is not a BERT encoder with recognizable weight names.");
        }

        string Need(string name) => initializers.ContainsKey(name)
            ? name
            : throw new InvalidDataException($"The ONNX model has no initializer '{name}'.");
        string WeightOf(string bias) => weightByBias.TryGetValue(Need(bias), out string? w)
            ? w
            : throw new InvalidDataException($"No MatMul weight feeds the bias '{bias}'.");

        var graph = new ProtoWriter(model.Length);
        var newInitializers = new List<ProtoWriter>();
        var used = new HashSet<string>(StringComparer.Ordinal);

        // Embeddings: word + position + token type, then layer normalization; also each row's length for attention.
        string ids32 = Prefix + "input_ids", types32 = Prefix + "token_type_ids", mask32 = Prefix + "attention_mask";
        graph.Message(1, Node("Cast", ["input_ids"], [ids32], attributes: [IntAttr("to", Int32Type)]));
        graph.Message(1, Node("Cast", ["token_type_ids"], [types32], attributes: [IntAttr("to", Int32Type)]));
        graph.Message(1, Node("Cast", ["attention_mask"], [mask32], attributes: [IntAttr("to", Int32Type)]));
        string[] embeddingWeights =
        [
            Need("embeddings.word_embeddings.weight"), Need("embeddings.position_embeddings.weight"),
            Need("embeddings.token_type_embeddings.weight"), Need("embeddings.LayerNorm.weight"), Need("embeddings.LayerNorm.bias"),
        ];
        used.UnionWith(embeddingWeights);
        string hidden = Prefix + "embeddings", lengths = Prefix + "mask_index";
        graph.Message(1, Node("EmbedLayerNormalization",
            [ids32, types32, .. embeddingWeights, mask32], [hidden, lengths], MicrosoftDomain, [FloatAttr("epsilon", Epsilon)]));

        for (int l = 0; l < layers; l++)
        {
            string p = $"encoder.layer.{l}.";

            // Q, K and V as one [hidden, 3 × hidden] weight, as the fused Attention takes them.
            string qkvWeight = $"{Prefix}{l}_qkv_weight", qkvBias = $"{Prefix}{l}_qkv_bias";
            string[] biases = [p + "attention.self.query.bias", p + "attention.self.key.bias", p + "attention.self.value.bias"];
            newInitializers.Add(ConcatColumns(qkvWeight, [.. biases.Select(b => initializers[WeightOf(b)])]));
            newInitializers.Add(ConcatColumns(qkvBias, [.. biases.Select(b => initializers[b])]));

            string attention = $"{Prefix}{l}_attention", attentionDense = $"{Prefix}{l}_attention_dense";
            string attentionNorm = $"{Prefix}{l}_attention_norm", intermediate = $"{Prefix}{l}_intermediate";
            string gelu = $"{Prefix}{l}_gelu", output = $"{Prefix}{l}_output";
            string layerOut = l == layers - 1 ? hiddenOutput : $"{Prefix}{l}_layer";

            graph.Message(1, Node("Attention", [hidden, qkvWeight, qkvBias, lengths], [attention], MicrosoftDomain,
                [IntAttr("num_heads", heads)]));
            graph.Message(1, Node("MatMul", [attention, WeightOf(p + "attention.output.dense.bias")], [attentionDense]));
            graph.Message(1, Node("SkipLayerNormalization",
                [attentionDense, hidden, Need(p + "attention.output.LayerNorm.weight"), Need(p + "attention.output.LayerNorm.bias"), p + "attention.output.dense.bias"],
                [attentionNorm], MicrosoftDomain, [FloatAttr("epsilon", Epsilon)]));
            graph.Message(1, Node("MatMul", [attentionNorm, WeightOf(p + "intermediate.dense.bias")], [intermediate]));
            graph.Message(1, Node("BiasGelu", [intermediate, p + "intermediate.dense.bias"], [gelu], MicrosoftDomain));
            graph.Message(1, Node("MatMul", [gelu, WeightOf(p + "output.dense.bias")], [output]));
            graph.Message(1, Node("SkipLayerNormalization",
                [output, attentionNorm, Need(p + "output.LayerNorm.weight"), Need(p + "output.LayerNorm.bias"), p + "output.dense.bias"],
                [layerOut], MicrosoftDomain, [FloatAttr("epsilon", Epsilon)]));

            used.UnionWith([p + "attention.output.dense.bias", WeightOf(p + "attention.output.dense.bias"),
                p + "attention.output.LayerNorm.weight", p + "attention.output.LayerNorm.bias",
                p + "intermediate.dense.bias", WeightOf(p + "intermediate.dense.bias"),
                p + "output.dense.bias", WeightOf(p + "output.dense.bias"),
                p + "output.LayerNorm.weight", p + "output.LayerNorm.bias"]);
            hidden = layerOut;
        }

        graph.String(2, "ragkit_fused_bert");
        foreach (string name in used.Order(StringComparer.Ordinal))
        {
            graph.Bytes(5, initializers[name].Span);
        }

        foreach (ProtoWriter tensor in newInitializers)
        {
            graph.Message(5, tensor);
        }

        foreach (byte[] input in inputs)
        {
            graph.Bytes(11, input);
        }

        int hiddenSize = Dims(initializers["embeddings.LayerNorm.weight"].Span)[0];
        graph.Message(12, FloatValueInfo(hiddenOutput, ["batch", "sequence"], hiddenSize));

        var result = new ProtoWriter(model.Length);
        result.Varint(1, irVersion);
        result.String(2, "RagKit.Onnx");
        result.Message(7, graph);
        result.Message(8, Opset("", 13));
        result.Message(8, Opset(MicrosoftDomain, 1));
        return result.ToArray();
    }

    private static int OffsetIn(byte[] model, ReadOnlySpan<byte> slice) =>
        (int)System.Runtime.CompilerServices.Unsafe.ByteOffset(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(model),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(slice));

    private static void ReadNode(ReadOnlySpan<byte> node, out string op, out List<string> inputs, out List<string> outputs)
    {
        op = "";
        inputs = [];
        outputs = [];
        foreach (ProtoField field in new ProtoReader(node))
        {
            if (field.IsBytes(1))
            {
                inputs.Add(field.String());
            }
            else if (field.IsBytes(2))
            {
                outputs.Add(field.String());
            }
            else if (field.IsBytes(4))
            {
                op = field.String();
            }
        }
    }

    // TensorProto: dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9.
    private static string TensorName(ReadOnlySpan<byte> tensor)
    {
        foreach (ProtoField field in new ProtoReader(tensor))
        {
            if (field.IsBytes(8))
            {
                return field.String();
            }
        }

        return "";
    }

    private static int[] Dims(ReadOnlySpan<byte> tensor)
    {
        var dims = new List<int>();
        foreach (ProtoField field in new ProtoReader(tensor))
        {
            if (field.IsVarint(1))
            {
                dims.Add(checked((int)field.Varint));
            }
            else if (field.IsBytes(1))
            {
                throw new InvalidDataException("Packed tensor dimensions are not supported.");
            }
        }

        return [.. dims];
    }

    private static float[] Floats(ReadOnlySpan<byte> tensor)
    {
        var values = new List<float>();
        int type = 0;
        foreach (ProtoField field in new ProtoReader(tensor))
        {
            if (field.IsVarint(2))
            {
                type = (int)field.Varint;
            }
            else if (field.IsBytes(9) || field.IsBytes(4))
            {
                for (int i = 0; i + 4 <= field.Bytes.Length; i += 4)
                {
                    values.Add(BinaryPrimitives.ReadSingleLittleEndian(field.Bytes[i..]));
                }
            }
        }

        return type == FloatType ? [.. values] : throw new InvalidDataException("Expected a float tensor.");
    }

    /// <summary>Concatenates 2-D [rows, columns] tensors along their columns (1-D tensors end to end).</summary>
    private static ProtoWriter ConcatColumns(string name, ReadOnlyMemory<byte>[] parts)
    {
        int[] dims = Dims(parts[0].Span);
        int rows = dims.Length == 2 ? dims[0] : 1;
        float[][] values = [.. parts.Select(part => Floats(part.Span))];
        int[] columns = [.. values.Select(v => v.Length / rows)];
        int total = columns.Sum();
        byte[] raw = new byte[rows * total * 4];
        int offset = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int p = 0; p < values.Length; p++)
            {
                for (int c = 0; c < columns[p]; c++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(offset), values[p][(r * columns[p]) + c]);
                    offset += 4;
                }
            }
        }

        var tensor = new ProtoWriter();
        if (dims.Length == 2)
        {
            tensor.Varint(1, rows);
        }

        tensor.Varint(1, total);
        tensor.Varint(2, FloatType);
        tensor.String(8, name);
        tensor.Bytes(9, raw);
        return tensor;
    }
}
