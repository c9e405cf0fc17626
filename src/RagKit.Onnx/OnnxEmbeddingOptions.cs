namespace RagKit.Onnx;

/// <summary>
/// Settings for <see cref="MiniLmEmbeddingGenerator"/>. All settings are validated when the generator is created.
/// </summary>
public sealed class OnnxEmbeddingOptions
{
    /// <summary>The hard limit of the all-MiniLM-L6-v2 model's position embeddings, in tokens.</summary>
    public const int ModelMaxTokens = 512;

    /// <summary>
    /// Maximum number of tokens per input, including the [CLS] and [SEP] tokens. Longer inputs are truncated,
    /// and the truncation is reported on the returned embedding and logged as a warning.
    /// Between 2 and <see cref="ModelMaxTokens"/>; default 256 (the length the model was trained with).
    /// </summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Maximum number of inputs run in one ONNX Runtime session call. At least 1; default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// Number of threads ONNX Runtime uses inside one operator. 0 (default) lets ONNX Runtime choose
    /// (one per physical core).
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Maximum number of embeddings kept in the in-memory cache, keyed by the exact input text.
    /// 0 turns the cache off. Default 10 000.
    /// </summary>
    public int CacheCapacity { get; set; } = 10_000;

    /// <summary>
    /// Whether to try the CUDA execution provider. When it cannot be loaded (for example with the CPU-only
    /// Microsoft.ML.OnnxRuntime package) the generator falls back to the CPU and logs one warning.
    /// </summary>
    public bool UseCuda { get; set; }

    /// <summary>
    /// Whether the model runs in fp16 on CUDA (tensor cores, half the memory traffic); pooling and normalization stay
    /// in fp32. On by default: the embeddings measured equal to the CPU's fp32 ones to a cosine of at least 0.9999
    /// per text (docs/bench/gpu-embeddings.md). Has no effect on the CPU, which always runs fp32.
    /// </summary>
    public bool CudaHalfPrecision { get; set; } = true;

    /// <summary>The CUDA device used when <see cref="UseCuda"/> is true. At least 0; default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>The clock for <see cref="Microsoft.Extensions.AI.Embedding.CreatedAt"/>; null is the system clock (with DI, the container's <see cref="System.TimeProvider"/>).</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Host-side work in parallel: tokenization of large requests across cores and, on CUDA, several batches in
    /// flight so that padding, copies and pooling overlap the GPU. On by default; the GPU harness turns it off for
    /// its baseline.
    /// </summary>
    internal bool HostParallelism { get; set; } = true;

    /// <summary>
    /// On CUDA with <see cref="HostParallelism"/>, how many batches run at once (overlapping one batch's host work
    /// with another's kernels). Default 4 (round 3 on an H100: 4 in flight beat 3 at batch 64 and 256, by 3–9 %); the GPU harness varies it.
    /// </summary>
    internal int CudaBatchesInFlight { get; set; } = 4;

    /// <summary>
    /// Whether mean pooling and normalization run inside the ONNX graph (<see cref="PoolingGraph"/>), so only
    /// [batch, 384] leaves the session. On by default; off gives the earlier host pooling for the GPU harness's A/B.
    /// </summary>
    internal bool PoolInGraph { get; set; } = true;

    /// <summary>
    /// Whether a request of many texts tokenizes the next chunk while the current chunk's batches run.
    /// <see langword="null"/> (default): on CUDA only. <see langword="true"/> forces it, with
    /// <see cref="CudaBatchesInFlight"/> batches at once, on any provider (tests run it on the CPU); the GPU harness
    /// sets <see langword="false"/> for its A/B.
    /// </summary>
    internal bool? PipelineBatches { get; set; }

    /// <summary>
    /// Whether the model runs as the fused graph (<see cref="FusedBertGraph"/>: fused attention, skip layer
    /// normalization and GELU) instead of the exported one. On by default on both providers; off gives the exported
    /// graph for the GPU harness's A/B and the equality tests.
    /// </summary>
    internal bool FuseGraph { get; set; } = true;

    /// <summary>
    /// ONNX Runtime's CUDA <c>sdpa_kernel</c> option: a bit mask of the attention kernels the fused attention may use
    /// (1 unfused, 2 flash, 4 memory-efficient, 8 TensorRT fused, ...); <see langword="null"/> leaves ONNX Runtime's
    /// choice. The default, 5 (memory-efficient, unfused as the fallback), leaves out the TensorRT fused kernels, which
    /// ONNX Runtime prefers for fp16: on an H100 they stalled about 40 ms on 1 % of single questions and cut question
    /// throughput from ~140–180k/s to 8–23k/s (docs/bench/gpu-embeddings.md, round 3). The GPU harness compares them.
    /// </summary>
    internal int? CudaAttentionKernels { get; set; } = 5;

    /// <summary>
    /// Runs the fp16 graph (<see cref="CudaHalfPrecision"/>) on the CPU provider too, so tests can check the conversion
    /// on a machine without a GPU. Off by default.
    /// </summary>
    internal bool HalfPrecisionOnCpu { get; set; }

    /// <summary>
    /// Whether texts are tokenized by <see cref="WordPieceEncoder"/> (the same ids as Microsoft.ML.Tokenizers'
    /// <c>BertTokenizer</c>, without its per-text strings and lists) instead of <c>BertTokenizer</c> itself. On by
    /// default; off gives the reference for the A/B in the GPU harness and the tokenizer benchmark.
    /// </summary>
    internal bool LeanTokenizer { get; set; } = true;

    /// <summary>
    /// On CUDA, whether a single text of up to 64 tokens (and up to three such texts coalesced into one call) replays a
    /// recorded CUDA graph (<see cref="CudaGraphSingleText"/>) instead of launching the model's kernels one by one. The
    /// graph is checked against the regular session when it is recorded and left unused if it disagrees or cannot be
    /// recorded. On by default: on an H100 a single question's p50 went from 0.891 to 0.228 ms with the same
    /// embeddings (docs/bench/gpu-embeddings.md, round 4); the GPU harness turns it off for its A/B.
    /// </summary>
    internal bool CudaGraphForSingleTexts { get; set; } = true;

    /// <summary>Throws if any setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the exception names it.</exception>
    internal void Validate()
    {
        if (MaxTokens is < 2 or > ModelMaxTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens,
                $"{nameof(OnnxEmbeddingOptions)}.{nameof(MaxTokens)} must be between 2 and {ModelMaxTokens}.");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize,
                $"{nameof(OnnxEmbeddingOptions)}.{nameof(BatchSize)} must be at least 1.");
        }

        if (IntraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads,
                $"{nameof(OnnxEmbeddingOptions)}.{nameof(IntraOpThreads)} must be 0 (automatic) or positive.");
        }

        if (CacheCapacity < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheCapacity), CacheCapacity,
                $"{nameof(OnnxEmbeddingOptions)}.{nameof(CacheCapacity)} must be 0 (off) or positive.");
        }

        if (CudaBatchesInFlight < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CudaBatchesInFlight), CudaBatchesInFlight,
                $"{nameof(OnnxEmbeddingOptions)}.{nameof(CudaBatchesInFlight)} must be at least 1.");
        }

        if (CudaDeviceId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CudaDeviceId), CudaDeviceId,
                $"{nameof(OnnxEmbeddingOptions)}.{nameof(CudaDeviceId)} must be at least 0.");
        }
    }

    internal OnnxEmbeddingOptions Clone() => (OnnxEmbeddingOptions)MemberwiseClone();
}
