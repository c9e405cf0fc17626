using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RagKit.Caching;

namespace RagKit.Redis;

/// <summary>
/// The stored formats. Nothing is deserialized into arbitrary types: entries are a fixed binary header,
/// a compressed vector and a JSON document bound to explicit DTOs (source-generated, no polymorphism).
/// </summary>
internal static class EntryCodec
{
    /// <summary>Format of the bare answers (<see cref="EncodeAnswer"/>).</summary>
    public const byte FormatVersion = 1;
    private static readonly byte[] EntryMagic = "RKE"u8.ToArray();
    private static readonly byte[] AnswerMagic = "RKA"u8.ToArray();
    private const int VectorHeader = 1 + 2 + 4; // encoding, dims, scale

    public static string Hex(ulong value) => value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public static ulong Hash(string text) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(text));

    public static string DocumentHex(DocumentKey d) => Hex(Hash(d.Tenant + "\n" + d.Collection + "\n" + d.DocumentId));

    // ---- vectors: [encoding u8][dims u16][scale f32][data] ----

    public static int VectorSize(RedisEmbeddingEncoding encoding, int dims) => VectorHeader + (encoding == RedisEmbeddingEncoding.Int8 ? dims : dims * 2);

    public static void EncodeVector(ReadOnlySpan<float> v, RedisEmbeddingEncoding encoding, Span<byte> dest)
    {
        dest[0] = (byte)encoding;
        BinaryPrimitives.WriteUInt16LittleEndian(dest[1..], (ushort)v.Length);
        Span<byte> data = dest[VectorHeader..];
        if (encoding == RedisEmbeddingEncoding.Int8)
        {
            // MaxMagnitude returns the element itself, sign included: a vector whose largest component is negative
            // must still get a positive scale (it used to get 1, which rounded every component of a unit vector to 0).
            float max = MathF.Abs(TensorPrimitives.MaxMagnitude(v));
            float scale = max > 0 ? max / 127f : 1f;
            BinaryPrimitives.WriteSingleLittleEndian(dest[3..], scale);
            for (int i = 0; i < v.Length; i++)
            {
                data[i] = (byte)(sbyte)Math.Clamp(MathF.Round(v[i] / scale), -127f, 127f);
            }
        }
        else
        {
            BinaryPrimitives.WriteSingleLittleEndian(dest[3..], 1f);
            for (int i = 0; i < v.Length; i++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(data[(i * 2)..], (Half)v[i]);
            }
        }
    }

    public static byte[] EncodeVector(ReadOnlySpan<float> v, RedisEmbeddingEncoding encoding)
    {
        var bytes = new byte[VectorSize(encoding, v.Length)];
        EncodeVector(v, encoding, bytes);
        return bytes;
    }

    /// <summary>Decodes a vector; returns its total encoded length, or -1 when the bytes are not a valid vector of <paramref name="dims"/>.</summary>
    public static int TryDecodeVector(ReadOnlySpan<byte> src, int dims, Span<float> dest)
    {
        if (src.Length < VectorHeader)
        {
            return -1;
        }

        var encoding = (RedisEmbeddingEncoding)src[0];
        int n = BinaryPrimitives.ReadUInt16LittleEndian(src[1..]);
        if (n != dims || dest.Length < dims || (encoding != RedisEmbeddingEncoding.Int8 && encoding != RedisEmbeddingEncoding.Float16))
        {
            return -1;
        }

        int size = VectorSize(encoding, dims);
        if (src.Length < size)
        {
            return -1;
        }

        float scale = BinaryPrimitives.ReadSingleLittleEndian(src[3..]);
        ReadOnlySpan<byte> data = src[VectorHeader..];
        if (encoding == RedisEmbeddingEncoding.Int8)
        {
            if (!float.IsFinite(scale) || scale <= 0)
            {
                return -1;
            }

            for (int i = 0; i < dims; i++)
            {
                dest[i] = (sbyte)data[i] * scale;
            }
        }
        else
        {
            for (int i = 0; i < dims; i++)
            {
                dest[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]);
            }
        }

        return size;
    }

    // ---- entries ----
    // Version 2: "RKE" [2] [question vector] [values u64] [answer text hash u64] [answer id u64] [link f32]
    //            [has answer vector u8] [int8 answer vector]? [answer JSON]
    // Version 1: "RKE" [1] [question vector] [answer JSON] (still read: no answer vector, so its answer is compared by text)

    /// <summary>Format of the entries written now.</summary>
    public const byte EntryVersion = 2;

    /// <summary>Bytes of the version 2 answer header before the optional answer vector (values, text hash, answer id, link, flag).</summary>
    public const int AnswerHeader = 8 + 8 + 8 + 4 + 1;

    /// <summary>
    /// Answer vectors are stored as int8 with a scale whatever the question vectors' encoding: they only decide whether two
    /// answers are one (cosine against 0.60 with a 0.03 margin), where int8's cosine error (about 0.0004, at most 0.002 on
    /// Bitext's answers) does not matter, and every lookup fetches them with its neighbours, so their size is paid on
    /// every lookup (f16 would double it for no change in the decisions).
    /// </summary>
    public const RedisEmbeddingEncoding AnswerEncoding = RedisEmbeddingEncoding.Int8;

    /// <summary>The hash of an answer's normalized text: equal hashes are the same answer text (no per-lookup normalization).</summary>
    public static ulong AnswerTextHash(string text) => Hash(QuestionNormalizer.Normalize(text));

    /// <summary>Encodes an entry of the current format; the link's text hash is computed when it is 0.</summary>
    public static byte[] EncodeEntry(ReadOnlySpan<float> vector, RedisEmbeddingEncoding encoding, CachedAnswer answer, in EntryLink link = default)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(AnswerDto.From(answer), RedisJsonContext.Default.AnswerDto);
        int vsize = VectorSize(encoding, vector.Length);
        ReadOnlySpan<float> answerVector = answer.AnswerEmbedding.Span;
        int asize = answerVector.IsEmpty ? 0 : VectorSize(AnswerEncoding, answerVector.Length);
        var bytes = new byte[4 + vsize + AnswerHeader + asize + json.Length];
        EntryMagic.CopyTo(bytes, 0);
        bytes[3] = EntryVersion;
        EncodeVector(vector, encoding, bytes.AsSpan(4, vsize));
        Span<byte> header = bytes.AsSpan(4 + vsize, AnswerHeader);
        BinaryPrimitives.WriteUInt64LittleEndian(header, link.Values);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], link.TextHash != 0 ? link.TextHash : AnswerTextHash(answer.Text));
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], link.AnswerId);
        BinaryPrimitives.WriteSingleLittleEndian(header[24..], link.Similarity);
        header[28] = asize > 0 ? (byte)1 : (byte)0;
        if (asize > 0)
        {
            EncodeVector(answerVector, AnswerEncoding, bytes.AsSpan(4 + vsize + AnswerHeader, asize));
        }

        json.CopyTo(bytes, 4 + vsize + AnswerHeader + asize);
        return bytes;
    }

    /// <summary>The bytes of an entry of the previous format (version 1): question vector and answer only. For tests.</summary>
    public static byte[] EncodeEntryVersion1(ReadOnlySpan<float> vector, RedisEmbeddingEncoding encoding, CachedAnswer answer)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(AnswerDto.From(answer), RedisJsonContext.Default.AnswerDto);
        int vsize = VectorSize(encoding, vector.Length);
        var bytes = new byte[4 + vsize + json.Length];
        EntryMagic.CopyTo(bytes, 0);
        bytes[3] = 1;
        EncodeVector(vector, encoding, bytes.AsSpan(4, vsize));
        json.CopyTo(bytes, 4 + vsize);
        return bytes;
    }

    /// <summary>Decodes an entry; false for anything corrupt, foreign or of an unknown format version.</summary>
    public static bool TryDecodeEntry(ReadOnlySpan<byte> src, int dims, Span<float> vector, out CachedAnswer? answer) =>
        TryDecodeEntry(src, dims, vector, out answer, out _, default);

    /// <summary>
    /// Decodes an entry with its answer link (default for a version 1 entry); the answer vector is decoded into
    /// <paramref name="answerVector"/> when it is large enough (otherwise skipped; <see cref="EntryLink.AnswerDimensions"/>
    /// says whether there is one).
    /// </summary>
    public static bool TryDecodeEntry(ReadOnlySpan<byte> src, int dims, Span<float> vector, out CachedAnswer? answer, out EntryLink link, Span<float> answerVector)
    {
        answer = null;
        int at = TryDecodeHead(src, dims, vector, out link, answerVector);
        if (at < 0)
        {
            return false;
        }

        answer = TryDecodeJson(src[at..]);
        return answer is not null;
    }

    /// <summary>
    /// Decodes the head of an entry (question vector, answer link, answer vector), not the answer itself; returns where
    /// the answer JSON starts, or -1 for anything corrupt or foreign. A version 1 entry has the default link.
    /// </summary>
    public static int TryDecodeHead(ReadOnlySpan<byte> src, int dims, Span<float> vector, out EntryLink link, Span<float> answerVector)
    {
        link = default;
        if (src.Length < 4 || !src[..3].SequenceEqual(EntryMagic) || src[3] is not (1 or EntryVersion))
        {
            return -1;
        }

        int vsize = TryDecodeVector(src[4..], dims, vector);
        if (vsize < 0)
        {
            return -1;
        }

        int at = 4 + vsize;
        if (src[3] == 1)
        {
            return at;
        }

        if (src.Length < at + AnswerHeader)
        {
            return -1;
        }

        ReadOnlySpan<byte> header = src.Slice(at, AnswerHeader);
        at += AnswerHeader;
        int answerDims = 0;
        if (header[28] == 1)
        {
            if (src.Length < at + VectorHeader)
            {
                return -1;
            }

            answerDims = BinaryPrimitives.ReadUInt16LittleEndian(src[(at + 1)..]);
            int asize = answerDims <= answerVector.Length
                ? TryDecodeVector(src[at..], answerDims, answerVector)
                : src[at] == (byte)AnswerEncoding && src.Length >= at + VectorSize(AnswerEncoding, answerDims) ? VectorSize(AnswerEncoding, answerDims) : -1;
            if (asize < 0 || answerDims == 0)
            {
                return -1;
            }

            at += asize;
        }
        else if (header[28] != 0)
        {
            return -1;
        }

        link = new EntryLink(BinaryPrimitives.ReadUInt64LittleEndian(header), BinaryPrimitives.ReadUInt64LittleEndian(header[16..]), BinaryPrimitives.ReadSingleLittleEndian(header[24..]))
        {
            TextHash = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]),
            AnswerDimensions = answerDims,
        };
        return at;
    }

    // ---- bare answers (single-flight results, exact tier): "RKA" [version u8] [JSON] ----

    public static byte[] EncodeAnswer(CachedAnswer answer, IReadOnlyDictionary<string, string>? epochs = null)
    {
        AnswerDto dto = AnswerDto.From(answer);
        dto.Epochs = epochs is null ? null : new Dictionary<string, string>(epochs, StringComparer.Ordinal);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(dto, RedisJsonContext.Default.AnswerDto);
        var bytes = new byte[4 + json.Length];
        AnswerMagic.CopyTo(bytes, 0);
        bytes[3] = FormatVersion;
        json.CopyTo(bytes, 4);
        return bytes;
    }

    public static CachedAnswer? TryDecodeAnswer(ReadOnlySpan<byte> src, out Dictionary<string, string>? epochs)
    {
        epochs = null;
        if (src.Length < 4 || !src[..3].SequenceEqual(AnswerMagic) || src[3] != FormatVersion)
        {
            return null;
        }

        try
        {
            AnswerDto? dto = JsonSerializer.Deserialize(src[4..], RedisJsonContext.Default.AnswerDto);
            epochs = dto?.Epochs;
            return dto?.ToAnswer();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static CachedAnswer? TryDecodeJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RedisJsonContext.Default.AnswerDto)?.ToAnswer();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// What a stored entry says about its answer's identity (entry format 2): the answer's values fingerprint, the id of the
/// answer it was linked to when it was stored (0: none), and the weakest answer similarity along that link's chain.
/// </summary>
/// <param name="Values">The answer's <see cref="RagKit.Providers.AnswerLinks.ValuesFingerprint"/> (0 without an answer vector).</param>
/// <param name="AnswerId">The shared answer id: the first entry's id, inherited by every answer linked to it; 0 for none.</param>
/// <param name="Similarity">The lowest answer similarity of the links that led to <paramref name="AnswerId"/> (1 for the first entry).</param>
internal readonly record struct EntryLink(ulong Values, ulong AnswerId, float Similarity)
{
    /// <summary>Hash of the answer's normalized text (<see cref="EntryCodec.AnswerTextHash"/>); 0 for a version 1 entry.</summary>
    public ulong TextHash { get; init; }

    /// <summary>Dimensions of the stored answer vector; 0 when there is none.</summary>
    public int AnswerDimensions { get; init; }
}

internal sealed class AnswerDto
{
    public string? Q { get; set; }

    public string? S { get; set; }

    public string? T { get; set; }

    public List<CitationDto>? C { get; set; }

    public List<ProvenanceDto>? P { get; set; }

    public bool X { get; set; }

    public long Cost { get; set; }

    public long Created { get; set; }

    public long Expires { get; set; }

    public Dictionary<string, string>? Epochs { get; set; }

    public static AnswerDto From(CachedAnswer a) => new()
    {
        Q = a.Question,
        S = a.ScopeId,
        T = a.Text,
        C = a.Citations.Select(c => new CitationDto { N = c.Number, D = c.DocumentId, K = c.ChunkId, Sn = c.Snippet, Sc = c.Score }).ToList(),
        P = a.Provenance.Select(p => new ProvenanceDto { Tn = p.Document.Tenant, Co = p.Document.Collection, D = p.Document.DocumentId, K = p.ChunkId, H = p.DocumentHash }).ToList(),
        X = a.IsExtractive,
        Cost = a.GenerationCost.Ticks,
        Created = a.CreatedAt.UtcTicks,
        Expires = a.ExpiresAt.UtcTicks,
    };

    /// <summary>Null when a required field is missing or out of range (a corrupt or foreign entry).</summary>
    public CachedAnswer? ToAnswer()
    {
        if (Q is null || S is null || T is null || C is null || P is null
            || Created < DateTime.MinValue.Ticks || Created > DateTime.MaxValue.Ticks
            || Expires < DateTime.MinValue.Ticks || Expires > DateTime.MaxValue.Ticks || Cost < 0)
        {
            return null;
        }

        var citations = new List<Citation>(C.Count);
        foreach (CitationDto? c in C)
        {
            if (c?.D is null || c.K is null || c.Sn is null)
            {
                return null;
            }

            citations.Add(new Citation(c.N, c.D, c.K, c.Sn, c.Sc));
        }

        var provenance = new List<ProvenanceEntry>(P.Count);
        foreach (ProvenanceDto? p in P)
        {
            if (p?.Tn is null || p.Co is null || p.D is null || p.K is null)
            {
                return null;
            }

            provenance.Add(new ProvenanceEntry(new DocumentKey(p.Tn, p.Co, p.D), p.K, p.H));
        }

        return new CachedAnswer
        {
            Question = Q,
            ScopeId = S,
            Text = T,
            Citations = citations,
            Provenance = provenance,
            IsExtractive = X,
            GenerationCost = TimeSpan.FromTicks(Cost),
            CreatedAt = new DateTimeOffset(Created, TimeSpan.Zero),
            ExpiresAt = new DateTimeOffset(Expires, TimeSpan.Zero),
        };
    }
}

internal sealed class CitationDto
{
    public int N { get; set; }

    public string? D { get; set; }

    public string? K { get; set; }

    public string? Sn { get; set; }

    public float Sc { get; set; }
}

internal sealed class ProvenanceDto
{
    public string? Tn { get; set; }

    public string? Co { get; set; }

    public string? D { get; set; }

    public string? K { get; set; }

    public ulong H { get; set; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AnswerDto))]
internal sealed partial class RedisJsonContext : JsonSerializerContext
{
}
