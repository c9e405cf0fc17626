using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Testing;

/// <summary>Whether a cassette serves recorded calls or records real ones.</summary>
public enum RecordingMode
{
    /// <summary>Serve from the cassette; a call that is not in it fails with a message saying how to record it.</summary>
    Replay,

    /// <summary>Pass every call to the real store and embedder and save what they returned when the cassette is disposed.</summary>
    Record,
}

/// <summary>A call a cassette has no recording of.</summary>
public sealed class CassetteMissException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public CassetteMissException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CassetteMissException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CassetteMissException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A cassette file of recorded retrievals: (question, scope, TopK, MinScore) → the chunks the vector store returned,
/// and the question embeddings they were searched with. Wrap the real store and embedder once with
/// <see cref="RecordingMode.Record"/> (or env <c>RAGKIT_RECORD=1</c>); afterwards tests replay the cassette with no
/// vector database, no model and no network. The file is indented JSON sorted by scope and question, so diffs review well.
/// </summary>
public sealed class RagCassette : IDisposable
{
    /// <summary>The environment variable that switches cassettes to <see cref="RecordingMode.Record"/> when set to 1 or true.</summary>
    public const string RecordEnvironmentVariable = "RAGKIT_RECORD";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Lock _lock = new();
    private readonly Dictionary<string, EmbeddingDto> _embeddings = new(StringComparer.Ordinal); // by text
    private readonly Dictionary<string, string> _textByVector = new(StringComparer.Ordinal); // vector key -> text
    private readonly Dictionary<string, RetrievalDto> _retrievals = new(StringComparer.Ordinal); // by retrieval key
    private bool _dirty;

    private RagCassette(string path, RecordingMode mode)
    {
        FilePath = path;
        Mode = mode;
        if (File.Exists(path))
        {
            CassetteDto dto = JsonSerializer.Deserialize<CassetteDto>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"The cassette '{path}' is empty.");
            foreach (EmbeddingDto e in dto.Embeddings)
            {
                _embeddings[e.Text] = e;
                _textByVector[VectorKey(Decode(e.Vector))] = e.Text;
            }

            foreach (RetrievalDto r in dto.Retrievals)
            {
                _retrievals[RetrievalKey(r.Scope, r.TopK, r.MinScore, r.VectorKey)] = r;
            }
        }
    }

    /// <summary>The cassette file.</summary>
    public string FilePath { get; }

    /// <summary>Whether this cassette replays or records.</summary>
    public RecordingMode Mode { get; }

    /// <summary>How many retrievals the cassette holds.</summary>
    public int RetrievalCount
    {
        get
        {
            lock (_lock)
            {
                return _retrievals.Count;
            }
        }
    }

    /// <summary>
    /// Opens (or, when recording, starts) the cassette at <paramref name="path"/>. Without <paramref name="mode"/>, it
    /// records when env <c>RAGKIT_RECORD</c> is 1 or true and replays otherwise.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="CassetteMissException">Replaying and the file does not exist.</exception>
    public static RagCassette Open(string path, RecordingMode? mode = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RecordingMode m = mode ?? (Environment.GetEnvironmentVariable(RecordEnvironmentVariable) is "1" or "true" or "TRUE" or "True" ? RecordingMode.Record : RecordingMode.Replay);
        string full = Path.GetFullPath(path);
        if (m == RecordingMode.Replay && !File.Exists(full))
        {
            throw new CassetteMissException($"The cassette '{full}' does not exist. Record it once with the real vector store and embedder: set env {RecordEnvironmentVariable}=1 (or pass RecordingMode.Record) and run the test, then commit the file.");
        }

        return new RagCassette(full, m);
    }

    /// <summary>
    /// The vector store to give the pipeline: when recording, <paramref name="inner"/> (required) answers and its
    /// searches are saved; when replaying, searches come from the cassette and writes are accepted and ignored.
    /// </summary>
    public IVectorStore WrapVectorStore(IVectorStore? inner)
    {
        if (Mode == RecordingMode.Record && inner is null)
        {
            throw new ArgumentException("Recording needs the real vector store to record from.", nameof(inner));
        }

        return new CassetteVectorStore(this, Mode == RecordingMode.Record ? inner : null);
    }

    /// <summary>
    /// The embedding generator to give the pipeline: when recording, <paramref name="inner"/> (required) embeds; when
    /// replaying, recorded question embeddings are served and any other text (a chunk being ingested) gets a stable
    /// placeholder vector — searching with one fails with a message naming the question.
    /// </summary>
    public IEmbeddingGenerator<string, Embedding<float>> WrapEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>>? inner)
    {
        if (Mode == RecordingMode.Record && inner is null)
        {
            throw new ArgumentException("Recording needs the real embedding generator to record from.", nameof(inner));
        }

        return new CassetteEmbeddingGenerator(this, Mode == RecordingMode.Record ? inner : null);
    }

    /// <summary>Writes the cassette when recording and something new was recorded.</summary>
    public void Save()
    {
        if (Mode != RecordingMode.Record)
        {
            return;
        }

        CassetteDto dto;
        lock (_lock)
        {
            if (!_dirty && File.Exists(FilePath))
            {
                return;
            }

            HashSet<string> used = _retrievals.Values.Select(r => r.Question).Where(q => q is not null).ToHashSet(StringComparer.Ordinal)!;
            dto = new CassetteDto
            {
                Embeddings = _embeddings.Values.Where(e => used.Contains(e.Text)).OrderBy(e => e.Text, StringComparer.Ordinal).ToList(),
                Retrievals = _retrievals.Values
                    .OrderBy(r => r.Scope.Tenant, StringComparer.Ordinal).ThenBy(r => r.Scope.Collection, StringComparer.Ordinal)
                    .ThenBy(r => string.Join(',', r.Scope.AccessGroups), StringComparer.Ordinal)
                    .ThenBy(r => r.Question, StringComparer.Ordinal).ThenBy(r => r.TopK).ThenBy(r => r.MinScore).ThenBy(r => r.VectorKey, StringComparer.Ordinal)
                    .ToList(),
            };
            _dirty = false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, JsonSerializer.Serialize(dto, Json) + "\n");
    }

    /// <summary>Saves when recording.</summary>
    public void Dispose() => Save();

    internal void RecordEmbedding(string text, ReadOnlySpan<float> vector)
    {
        lock (_lock)
        {
            string key = VectorKey(vector);
            _embeddings[text] = new EmbeddingDto { Text = text, Vector = Encode(vector) };
            _textByVector[key] = text;
            _dirty = true;
        }
    }

    internal float[]? FindEmbedding(string text)
    {
        lock (_lock)
        {
            return _embeddings.TryGetValue(text, out EmbeddingDto? e) ? Decode(e.Vector) : null;
        }
    }

    internal void NotePlaceholder(string text, ReadOnlySpan<float> vector)
    {
        lock (_lock)
        {
            _textByVector.TryAdd(VectorKey(vector), text);
        }
    }

    internal void RecordRetrieval(ReadOnlySpan<float> vector, VectorQuery query, IReadOnlyList<ChunkMatch> matches)
    {
        string vectorKey = VectorKey(vector);
        ScopeDto scope = ScopeDto.From(query.Scope);
        lock (_lock)
        {
            _retrievals[RetrievalKey(scope, query.TopK, query.MinScore, vectorKey)] = new RetrievalDto
            {
                Question = _textByVector.GetValueOrDefault(vectorKey),
                Scope = scope,
                TopK = query.TopK,
                MinScore = query.MinScore,
                VectorKey = vectorKey,
                Chunks = matches.Select(ChunkDto.From).ToList(),
            };
            _dirty = true;
        }
    }

    internal IReadOnlyList<ChunkMatch> Replay(ReadOnlySpan<float> vector, VectorQuery query)
    {
        string vectorKey = VectorKey(vector);
        ScopeDto scope = ScopeDto.From(query.Scope);
        lock (_lock)
        {
            if (_retrievals.TryGetValue(RetrievalKey(scope, query.TopK, query.MinScore, vectorKey), out RetrievalDto? r))
            {
                return r.Chunks.Select(c => c.ToMatch()).ToArray();
            }

            string question = _textByVector.TryGetValue(vectorKey, out string? q) ? $"question '{q}'" : $"a query vector (key {vectorKey}) not produced by this cassette's embedder";
            throw new CassetteMissException(
                $"The cassette '{FilePath}' has no retrieval for {question} in scope {query.Scope} (TopK {query.TopK}, MinScore {query.MinScore.ToString(CultureInfo.InvariantCulture)}). " +
                $"Record it: set env {RecordEnvironmentVariable}=1 (or open the cassette with RecordingMode.Record), run the test once with the real vector store and embedder, and commit the updated file.");
        }
    }

    /// <summary>A stable key of a vector: XxHash64 of its float32 bytes.</summary>
    internal static string VectorKey(ReadOnlySpan<float> vector) =>
        XxHash64.HashToUInt64(MemoryMarshal.AsBytes(vector)).ToString("x16", CultureInfo.InvariantCulture);

    private static string RetrievalKey(ScopeDto scope, int topK, float minScore, string vectorKey) =>
        string.Create(CultureInfo.InvariantCulture, $"{scope.Tenant}\u001f{scope.Collection}\u001f{string.Join('\u001e', scope.AccessGroups)}\u001f{topK}\u001f{minScore:R}\u001f{vectorKey}");

    private static string Encode(ReadOnlySpan<float> vector) => Convert.ToBase64String(MemoryMarshal.AsBytes(vector));

    private static float[] Decode(string base64) => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64)).ToArray();

    internal sealed class CassetteDto
    {
        public int Version { get; set; } = 1;

        public List<RetrievalDto> Retrievals { get; set; } = [];

        public List<EmbeddingDto> Embeddings { get; set; } = [];
    }

    internal sealed class EmbeddingDto
    {
        public string Text { get; set; } = "";

        /// <summary>Float32 little-endian, base64.</summary>
        public string Vector { get; set; } = "";
    }

    internal sealed class ScopeDto
    {
        public string Tenant { get; set; } = "";

        public string Collection { get; set; } = "";

        public List<string> AccessGroups { get; set; } = [];

        public static ScopeDto From(RagScope s) => new() { Tenant = s.Tenant, Collection = s.Collection, AccessGroups = s.AccessGroups.Order(StringComparer.Ordinal).ToList() };
    }

    internal sealed class RetrievalDto
    {
        public string? Question { get; set; }

        public ScopeDto Scope { get; set; } = new();

        public int TopK { get; set; }

        public float MinScore { get; set; }

        public string VectorKey { get; set; } = "";

        public List<ChunkDto> Chunks { get; set; } = [];
    }

    internal sealed class ChunkDto
    {
        public string Tenant { get; set; } = "";

        public string Collection { get; set; } = "";

        public string DocumentId { get; set; } = "";

        public string ChunkId { get; set; } = "";

        public float Score { get; set; }

        /// <summary>Decimal, as JSON numbers lose 64-bit precision in many readers.</summary>
        public string DocumentHash { get; set; } = "0";

        public string? Title { get; set; }

        public string Text { get; set; } = "";

        public static ChunkDto From(ChunkMatch m) => new()
        {
            Tenant = m.Document.Tenant,
            Collection = m.Document.Collection,
            DocumentId = m.Document.DocumentId,
            ChunkId = m.ChunkId,
            Score = m.Score,
            DocumentHash = m.DocumentHash.ToString(CultureInfo.InvariantCulture),
            Title = m.Title,
            Text = m.Text,
        };

        public ChunkMatch ToMatch() => new(new DocumentKey(Tenant, Collection, DocumentId), ChunkId, Text, Score, ulong.Parse(DocumentHash, CultureInfo.InvariantCulture), Title);
    }
}

/// <summary>Records or replays searches; in replay, writes are accepted and ignored.</summary>
internal sealed class CassetteVectorStore(RagCassette cassette, IVectorStore? inner) : IVectorStore
{
    public ValueTask UpsertAsync(IReadOnlyList<StoredDocument> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return inner?.UpsertAsync(documents, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask<int> DeleteAsync(IReadOnlyList<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return inner?.DeleteAsync(documents, cancellationToken) ?? ValueTask.FromResult(0);
    }

    public async ValueTask<IReadOnlyList<ChunkMatch>> SearchAsync(ReadOnlyMemory<float> vector, VectorQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query.Scope, nameof(query));
        if (inner is null)
        {
            return cassette.Replay(vector.Span, query);
        }

        IReadOnlyList<ChunkMatch> matches = await inner.SearchAsync(vector, query, cancellationToken).ConfigureAwait(false);
        cassette.RecordRetrieval(vector.Span, query, matches);
        return matches;
    }

    public ValueTask<DocumentInfo?> GetDocumentAsync(DocumentKey key, CancellationToken cancellationToken) =>
        inner?.GetDocumentAsync(key, cancellationToken) ?? ValueTask.FromResult<DocumentInfo?>(null);
}

/// <summary>Records or replays embeddings.</summary>
internal sealed class CassetteEmbeddingGenerator(RagCassette cassette, IEmbeddingGenerator<string, Embedding<float>>? inner) : IEmbeddingGenerator<string, Embedding<float>>
{
    private const int PlaceholderDimensions = 8;

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] texts = values.ToArray();
        if (inner is not null)
        {
            GeneratedEmbeddings<Embedding<float>> result = await inner.GenerateAsync(texts, options, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < texts.Length; i++)
            {
                cassette.RecordEmbedding(texts[i], result[i].Vector.Span);
            }

            return result;
        }

        var embeddings = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        foreach (string text in texts)
        {
            float[] vector = cassette.FindEmbedding(text) ?? Placeholder(text);
            embeddings.Add(new Embedding<float>(vector));
        }

        return embeddings;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        inner?.GetService(serviceType, serviceKey) ?? (serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("ragkit-cassette") : null);

    public void Dispose()
    {
    }

    /// <summary>A stable unit vector for a text the cassette has no embedding of (e.g. a chunk being ingested).</summary>
    private float[] Placeholder(string text)
    {
        var random = new Random((int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(text)));
        float[] v = new float[PlaceholderDimensions];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)(random.NextDouble() - 0.5);
        }

        float norm = MathF.Sqrt(v.Sum(x => x * x));
        for (int i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }

        cassette.NotePlaceholder(text, v);
        return v;
    }
}
