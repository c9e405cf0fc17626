namespace RagKit.LLamaSharp;

/// <summary>Configuration of <see cref="LLamaSharpChatClient"/>: the GGUF model, the runtime and default sampling.</summary>
public sealed class LLamaSharpGeneratorOptions
{
    /// <summary>Path of the GGUF model file. Required.</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>
    /// Context size in tokens, shared by every request being decoded at once (the KV cache is unified).
    /// Default 2048.
    /// </summary>
    public int ContextSize { get; set; } = 2048;

    /// <summary>CPU threads used for decoding; null lets llama.cpp choose.</summary>
    public int? Threads { get; set; }

    /// <summary>
    /// Number of layers offloaded to the GPU. Needs a GPU backend package (for example LLamaSharp.Backend.Cuda12)
    /// instead of LLamaSharp.Backend.Cpu; without one generation runs on the CPU and one warning is logged.
    /// </summary>
    public int GpuLayerCount { get; set; }

    /// <summary>Maximum number of tokens decoded in one llama.cpp batch (prompt chunks and generated tokens). Default 512.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Maximum number of requests decoded together in one batch; more wait for a free slot. Default 8.</summary>
    public int MaxConcurrentRequests { get; set; } = 8;

    /// <summary>Default maximum number of generated tokens; <c>ChatOptions.MaxOutputTokens</c> overrides it. Default 256.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Default sampling temperature; 0 means greedy decoding. <c>ChatOptions.Temperature</c> overrides it. Default 0.</summary>
    public float Temperature { get; set; }

    /// <summary>Default nucleus sampling threshold (0, 1]. Default 0.95.</summary>
    public float TopP { get; set; } = 0.95f;

    /// <summary>Default top-k sampling limit; 0 disables it. Default 40.</summary>
    public int TopK { get; set; } = 40;

    /// <summary>Default sampling seed, used when <c>ChatOptions.Seed</c> is not set. Default 1234.</summary>
    public uint Seed { get; set; } = 1234;

    /// <summary>Time limit of one generation; an answer cut off by it is returned and marked incomplete. Default 60 s.</summary>
    public TimeSpan GenerationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// When true (default) the fixed prompt prefix (the system text) is evaluated once and every request forks its
    /// KV state instead of evaluating it again.
    /// </summary>
    public bool ReusePromptPrefix { get; set; } = true;

    /// <summary>How many distinct prompt prefixes are kept evaluated at once (least recently used is dropped). Default 4.</summary>
    public int MaxCachedPrefixes { get; set; } = 4;

    /// <summary>Throws <see cref="ArgumentException"/> naming the offending option when the options cannot work.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            throw new ArgumentException("LLamaSharpGeneratorOptions.ModelPath is required: set it to the path of a GGUF model file.", nameof(ModelPath));
        }

        if (!File.Exists(ModelPath))
        {
            throw new ArgumentException($"LLamaSharpGeneratorOptions.ModelPath '{ModelPath}' does not exist or is not a file.", nameof(ModelPath));
        }

        Require(ContextSize >= 16, nameof(ContextSize), "must be at least 16 tokens");
        Require(Threads is null or > 0, nameof(Threads), "must be positive when set");
        Require(GpuLayerCount >= 0, nameof(GpuLayerCount), "must not be negative");
        Require(BatchSize >= 1, nameof(BatchSize), "must be positive");
        Require(MaxConcurrentRequests is >= 1 and <= 256, nameof(MaxConcurrentRequests), "must be between 1 and 256");
        Require(MaxTokens >= 1, nameof(MaxTokens), "must be positive");
        Require(Temperature >= 0 && float.IsFinite(Temperature), nameof(Temperature), "must be a finite number >= 0");
        Require(TopP is > 0 and <= 1, nameof(TopP), "must be in (0, 1]");
        Require(TopK >= 0, nameof(TopK), "must not be negative");
        Require(GenerationTimeout > TimeSpan.Zero || GenerationTimeout == Timeout.InfiniteTimeSpan, nameof(GenerationTimeout), "must be positive (or Timeout.InfiniteTimeSpan)");
        Require(MaxCachedPrefixes >= 1, nameof(MaxCachedPrefixes), "must be positive");
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"LLamaSharpGeneratorOptions.{name} {message}.", name);
        }
    }
}
