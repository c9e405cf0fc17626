using System.Buffers.Binary;
using System.Text;

namespace RagKit.TestModels;

/// <summary>Tensor storage type written by <see cref="TinyGgufWriter"/>.</summary>
public enum GgufTensorType
{
    /// <summary>32-bit float (ggml type 0).</summary>
    F32 = 0,

    /// <summary>16-bit float (ggml type 1).</summary>
    F16 = 1,
}

/// <summary>Shape and weights of a random llama-architecture GGUF model.</summary>
public sealed record TinyGgufSpec
{
    /// <summary>Hidden size (llama.embedding_length).</summary>
    public int EmbeddingLength { get; init; } = 64;

    /// <summary>Number of transformer blocks.</summary>
    public int BlockCount { get; init; } = 2;

    /// <summary>Attention heads.</summary>
    public int HeadCount { get; init; } = 4;

    /// <summary>Key/value heads (grouped-query attention); equal to <see cref="HeadCount"/> for plain multi-head attention.</summary>
    public int HeadCountKv { get; init; } = 4;

    /// <summary>Feed-forward hidden size.</summary>
    public int FeedForwardLength { get; init; } = 128;

    /// <summary>Training context length written into the metadata.</summary>
    public int ContextLength { get; init; } = 512;

    /// <summary>Seed of the weight generator: same seed, same file.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Storage type of the 2-D weight matrices (norm weights are always F32).</summary>
    public GgufTensorType WeightType { get; init; } = GgufTensorType.F32;

    /// <summary>Standard deviation-ish scale of the random hidden weights.</summary>
    public float WeightScale { get; init; } = 0.08f;

    /// <summary>
    /// Scale of output.weight. Larger values separate the logits so greedy decoding is robust against
    /// floating-point differences between batch shapes.
    /// </summary>
    public float OutputScale { get; init; } = 0.6f;

    /// <summary>
    /// When true the output rows of the control tokens (&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;) are zero, so their logit is 0 while
    /// the best byte token's is well above it: a greedily decoded random model never ends generation by itself and
    /// always runs until its token limit.
    /// </summary>
    public bool SuppressControlTokens { get; init; } = true;

    /// <summary>
    /// When set, the output row of &lt;/s&gt; (end of text) is this byte token's input embedding times
    /// <see cref="EndOfTextStrength"/>: right after the model emits that byte its hidden state points along the
    /// embedding, so greedy decoding ends the answer there. Gives a random model answers that finish by themselves
    /// (FinishReason.Stop) deterministically. Overrides <see cref="SuppressControlTokens"/> for that one row.
    /// </summary>
    public byte? EndOfTextAfterByte { get; init; }

    /// <summary>Scale of the end-of-text row used with <see cref="EndOfTextAfterByte"/>. Default 1.</summary>
    public float EndOfTextStrength { get; init; } = 1f;

    /// <summary>Vocabulary size: 3 control tokens plus 256 byte tokens.</summary>
    public static int VocabularySize => 3 + 256;

    /// <summary>Parameter count of the model this spec describes.</summary>
    public long ParameterCount
    {
        get
        {
            long e = EmbeddingLength, v = VocabularySize, f = FeedForwardLength;
            long kv = e / HeadCount * HeadCountKv;
            long perBlock = e + (e * e) + (2 * e * kv) + (e * e) + e + (3 * e * f);
            return (2 * e * v) + e + (BlockCount * perBlock);
        }
    }
}

/// <summary>
/// Writes a valid GGUF v3 file of a llama-architecture model with a byte-level SentencePiece vocabulary
/// (&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; and the 256 byte tokens &lt;0x00&gt;..&lt;0xFF&gt;) and random weights. llama.cpp loads it,
/// tokenizes any text into byte tokens and generates (meaningless) text from it: real inference without
/// downloading any weights.
/// </summary>
public static class TinyGgufWriter
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    private const uint Version = 3;
    private const int Alignment = 32;

    private enum ValueType : uint
    {
        UInt32 = 4,
        Int32 = 5,
        Float32 = 6,
        Bool = 7,
        String = 8,
        Array = 9,
    }

    private sealed record TensorInfo(string Name, long[] Dims, GgufTensorType Type, Func<long, float>? Fill, float Scale, int ZeroRows = 0)
    {
        /// <summary>Values already generated (consumes the generator like streaming would).</summary>
        public float[]? Data { get; set; }

        /// <summary>A row overwritten with fixed values after generation: (row index, values).</summary>
        public (int Row, float[] Values)? RowOverride { get; set; }

        public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

        public long ByteSize => ElementCount * (Type == GgufTensorType.F32 ? 4 : 2);
    }

    /// <summary>Writes the model described by <paramref name="spec"/> (defaults: the tiny test model) to <paramref name="path"/>.</summary>
    /// <returns>The path written.</returns>
    public static string Write(string path, TinyGgufSpec? spec = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        spec ??= new TinyGgufSpec();
        if (spec.EmbeddingLength % spec.HeadCount != 0 || spec.HeadCount % spec.HeadCountKv != 0)
        {
            throw new ArgumentException("EmbeddingLength must be divisible by HeadCount, and HeadCount by HeadCountKv.", nameof(spec));
        }

        int e = spec.EmbeddingLength, v = TinyGgufSpec.VocabularySize, f = spec.FeedForwardLength;
        int kv = e / spec.HeadCount * spec.HeadCountKv;
        var w = spec.WeightType;
        var tensors = new List<TensorInfo>
        {
            new("token_embd.weight", [e, v], w, null, 1.0f),
            new("output_norm.weight", [e], GgufTensorType.F32, _ => 1f, 1f),
            new("output.weight", [e, v], w, null, spec.OutputScale, spec.SuppressControlTokens ? 3 : 0),
        };
        for (var i = 0; i < spec.BlockCount; i++)
        {
            tensors.Add(new($"blk.{i}.attn_norm.weight", [e], GgufTensorType.F32, _ => 1f, 1f));
            tensors.Add(new($"blk.{i}.attn_q.weight", [e, e], w, null, spec.WeightScale));
            tensors.Add(new($"blk.{i}.attn_k.weight", [e, kv], w, null, spec.WeightScale));
            tensors.Add(new($"blk.{i}.attn_v.weight", [e, kv], w, null, spec.WeightScale));
            tensors.Add(new($"blk.{i}.attn_output.weight", [e, e], w, null, spec.WeightScale));
            tensors.Add(new($"blk.{i}.ffn_norm.weight", [e], GgufTensorType.F32, _ => 1f, 1f));
            tensors.Add(new($"blk.{i}.ffn_gate.weight", [e, f], w, null, spec.WeightScale));
            tensors.Add(new($"blk.{i}.ffn_up.weight", [e, f], w, null, spec.WeightScale));
            tensors.Add(new($"blk.{i}.ffn_down.weight", [f, e], w, null, spec.WeightScale));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);

        var metadata = BuildMetadata(spec, kv);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write((ulong)tensors.Count);
        writer.Write((ulong)metadata.Count);
        foreach (var (key, write) in metadata)
        {
            WriteString(writer, key);
            write(writer);
        }

        ulong offset = 0;
        foreach (var t in tensors)
        {
            WriteString(writer, t.Name);
            writer.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims)
            {
                writer.Write((ulong)d);
            }

            writer.Write((uint)t.Type);
            writer.Write(offset);
            offset += (ulong)Align(t.ByteSize);
        }

        writer.Flush();
        Pad(stream);

        var rng = new XorShift(spec.Seed);
        var buffer = new byte[1 << 20];
        if (spec.EndOfTextAfterByte is { } stopByte)
        {
            // token_embd is written first: generate it up front (same generator order), and copy the chosen byte's
            // embedding into the </s> output row.
            var embd = tensors[0];
            embd.Data = new float[embd.ElementCount];
            for (long i = 0; i < embd.ElementCount; i++)
            {
                embd.Data[i] = rng.NextSymmetric() * embd.Scale;
            }

            var row = new float[e];
            Array.Copy(embd.Data, (3 + stopByte) * e, row, 0, e);
            for (var i = 0; i < e; i++)
            {
                row[i] *= spec.EndOfTextStrength;
            }

            tensors[2].RowOverride = (2, row);
        }

        foreach (var t in tensors)
        {
            WriteTensorData(stream, t, rng, buffer);
            Pad(stream);
        }

        return path;
    }

    private static List<(string Key, Action<BinaryWriter> Write)> BuildMetadata(TinyGgufSpec spec, int kv)
    {
        _ = kv;
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        for (var b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
        }

        var scores = tokens.Select(_ => 0f).ToArray();
        var types = tokens.Select((_, i) => i switch { 0 => 2, 1 or 2 => 3, _ => 6 }).ToArray(); // unknown, control, byte

        return
        [
            ("general.architecture", w => WriteStringValue(w, "llama")),
            ("general.name", w => WriteStringValue(w, $"ragkit-random-{spec.EmbeddingLength}x{spec.BlockCount}")),
            ("general.alignment", w => WriteUInt32(w, Alignment)),
            ("general.file_type", w => WriteUInt32(w, spec.WeightType == GgufTensorType.F32 ? 0u : 1u)),
            ("llama.context_length", w => WriteUInt32(w, (uint)spec.ContextLength)),
            ("llama.embedding_length", w => WriteUInt32(w, (uint)spec.EmbeddingLength)),
            ("llama.block_count", w => WriteUInt32(w, (uint)spec.BlockCount)),
            ("llama.feed_forward_length", w => WriteUInt32(w, (uint)spec.FeedForwardLength)),
            ("llama.attention.head_count", w => WriteUInt32(w, (uint)spec.HeadCount)),
            ("llama.attention.head_count_kv", w => WriteUInt32(w, (uint)spec.HeadCountKv)),
            ("llama.rope.dimension_count", w => WriteUInt32(w, (uint)(spec.EmbeddingLength / spec.HeadCount))),
            ("llama.rope.freq_base", w => WriteFloat(w, 10000f)),
            ("llama.attention.layer_norm_rms_epsilon", w => WriteFloat(w, 1e-5f)),
            ("llama.vocab_size", w => WriteUInt32(w, (uint)TinyGgufSpec.VocabularySize)),
            ("tokenizer.ggml.model", w => WriteStringValue(w, "llama")),
            ("tokenizer.ggml.tokens", w =>
            {
                w.Write((uint)ValueType.Array);
                w.Write((uint)ValueType.String);
                w.Write((ulong)tokens.Count);
                foreach (var t in tokens)
                {
                    WriteString(w, t);
                }
            }),
            ("tokenizer.ggml.scores", w =>
            {
                w.Write((uint)ValueType.Array);
                w.Write((uint)ValueType.Float32);
                w.Write((ulong)scores.Length);
                foreach (var s in scores)
                {
                    w.Write(s);
                }
            }),
            ("tokenizer.ggml.token_type", w =>
            {
                w.Write((uint)ValueType.Array);
                w.Write((uint)ValueType.Int32);
                w.Write((ulong)types.Length);
                foreach (var t in types)
                {
                    w.Write(t);
                }
            }),
            ("tokenizer.ggml.unknown_token_id", w => WriteUInt32(w, 0)),
            ("tokenizer.ggml.bos_token_id", w => WriteUInt32(w, 1)),
            ("tokenizer.ggml.eos_token_id", w => WriteUInt32(w, 2)),
            ("tokenizer.ggml.add_bos_token", w => WriteBool(w, true)),
            ("tokenizer.ggml.add_eos_token", w => WriteBool(w, false)),
        ];
    }

    private static void WriteTensorData(Stream stream, TensorInfo t, XorShift rng, byte[] buffer)
    {
        var elementSize = t.Type == GgufTensorType.F32 ? 4 : 2;
        var rowLength = t.Dims[0];
        var pos = 0;
        for (long i = 0; i < t.ElementCount; i++)
        {
            float value;
            if (t.RowOverride is { } over && i / rowLength == over.Row)
            {
                value = over.Values[i % rowLength];
            }
            else if (t.Data is not null)
            {
                value = t.Data[i];
            }
            else if (t.Fill is not null)
            {
                value = t.Fill(i);
            }
            else if (t.ZeroRows > 0 && i / rowLength < t.ZeroRows)
            {
                value = 0f;
            }
            else
            {
                value = rng.NextSymmetric() * t.Scale;
            }

            if (elementSize == 4)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(pos), value);
            }
            else
            {
                BinaryPrimitives.WriteHalfLittleEndian(buffer.AsSpan(pos), (Half)value);
            }

            pos += elementSize;
            if (pos == buffer.Length)
            {
                stream.Write(buffer, 0, pos);
                pos = 0;
            }
        }

        stream.Write(buffer, 0, pos);
    }

    private static long Align(long value) => (value + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream stream)
    {
        var padding = Align(stream.Position) - stream.Position;
        for (var i = 0; i < padding; i++)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteStringValue(BinaryWriter w, string s)
    {
        w.Write((uint)ValueType.String);
        WriteString(w, s);
    }

    private static void WriteUInt32(BinaryWriter w, uint value)
    {
        w.Write((uint)ValueType.UInt32);
        w.Write(value);
    }

    private static void WriteFloat(BinaryWriter w, float value)
    {
        w.Write((uint)ValueType.Float32);
        w.Write(value);
    }

    private static void WriteBool(BinaryWriter w, bool value)
    {
        w.Write((uint)ValueType.Bool);
        w.Write(value ? (byte)1 : (byte)0);
    }

    /// <summary>Small deterministic generator: the same seed writes the same bytes on every machine.</summary>
    private sealed class XorShift(ulong seed)
    {
        private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        /// <summary>Roughly bell-shaped value in [-1.5, 1.5) with standard deviation 0.5 (sum of three uniforms).</summary>
        public float NextSymmetric() => NextUnit() + NextUnit() + NextUnit() - 1.5f;

        private float NextUnit()
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            return (_state >> 40) * (1.0f / (1 << 24));
        }
    }
}
