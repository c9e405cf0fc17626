using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.AI;

namespace RagKit.LLamaSharp;

/// <summary>
/// A local GGUF generator over LLamaSharp, exposed as an <see cref="IChatClient"/>. Concurrent requests are decoded
/// together in one batch by a single background loop (LLamaSharp <see cref="BatchedExecutor"/>), and the fixed
/// prompt prefix (the system text) is evaluated once and forked for every request.
/// </summary>
/// <remarks>
/// An answer cut off by the token limit or the generation timeout is returned with
/// <see cref="ChatFinishReason.Length"/> and <c>AdditionalProperties["ragkit.incomplete"] = true</c>.
/// </remarks>
public sealed partial class LLamaSharpChatClient : IChatClient, IAsyncDisposable
{
    /// <summary>Key of the additional property set to <c>true</c> on an answer that was cut off.</summary>
    public const string IncompletePropertyName = RagKitChatCacheOptions.IncompleteProperty;

    /// <summary>Provider name reported in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "RagKit.LLamaSharp";

    private readonly LLamaSharpGeneratorOptions _options;
    private readonly ILogger _logger;
    private readonly LLamaWeights _weights;
    private readonly BatchedExecutor _executor;
    private readonly Channel<GenerationRequest> _incoming = Channel.CreateUnbounded<GenerationRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _loop;
    private readonly DecodeLoop _decodeLoop;
    private int _disposed;
    private int _released;

    /// <summary>Loads the model and starts the decode loop.</summary>
    /// <param name="options">Model path, runtime and sampling settings; validated here.</param>
    /// <param name="loggerFactory">Logger factory; null logs nothing.</param>
    /// <param name="timeProvider">The clock for generation deadlines (<see cref="LLamaSharpGeneratorOptions.GenerationTimeout"/>); null is the system clock.</param>
    /// <exception cref="ArgumentException">The options are invalid, for example <see cref="LLamaSharpGeneratorOptions.ModelPath"/> names no file.</exception>
    public LLamaSharpChatClient(LLamaSharpGeneratorOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)loggerFactory?.CreateLogger<LLamaSharpChatClient>() ?? NullLogger.Instance;

        var gpuLayers = options.GpuLayerCount;
        GpuOffloadAvailable = NativeApi.llama_supports_gpu_offload();
        if (gpuLayers > 0 && !GpuOffloadAvailable)
        {
            Log.GpuUnavailable(_logger, gpuLayers);
            gpuLayers = 0;
        }

        EffectiveGpuLayerCount = gpuLayers;
        var contextSize = (uint)options.ContextSize;
        var parameters = new ModelParams(options.ModelPath)
        {
            ContextSize = contextSize,
            GpuLayerCount = gpuLayers,
            BatchSize = (uint)options.BatchSize,
            UBatchSize = (uint)Math.Min(options.BatchSize, 512),
            SeqMax = (uint)(options.MaxConcurrentRequests + options.MaxCachedPrefixes + 1),
            KVUnified = true,
        };
        if (options.Threads is { } threads)
        {
            parameters.Threads = threads;
            parameters.BatchThreads = threads;
        }

        _weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            _executor = new BatchedExecutor(_weights, parameters);
        }
        catch
        {
            _weights.Dispose();
            throw;
        }

        ModelId = ComputeModelId(options.ModelPath);
        Metadata = new ChatClientMetadata(ProviderName, null, ModelId);
        _decodeLoop = new DecodeLoop(this);
        _loop = Task.Run(() => _decodeLoop.RunAsync(_shutdown.Token));
    }

    /// <summary>
    /// Loads the GGUF model at <paramref name="modelPath"/> with the default options (greedy decoding, 2048-token
    /// context, 256 new tokens, prompt-prefix reuse on), optionally adjusted by <paramref name="configure"/>.
    /// This is the one call a host needs: <c>builder.UseChatClient(LLamaSharpChatClient.FromModelPath(path))</c>.
    /// The caller owns (and disposes) the returned client.
    /// </summary>
    /// <param name="modelPath">Path of the GGUF model file.</param>
    /// <param name="configure">Adjusts the options after <see cref="LLamaSharpGeneratorOptions.ModelPath"/> is set; null keeps the defaults.</param>
    /// <param name="loggerFactory">Logger factory (the CPU fallback warning is logged through it); null logs nothing.</param>
    /// <returns>A started client.</returns>
    /// <exception cref="ArgumentException">The path names no file, or an option is invalid (the message names it).</exception>
    public static LLamaSharpChatClient FromModelPath(string modelPath, Action<LLamaSharpGeneratorOptions>? configure = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var options = new LLamaSharpGeneratorOptions { ModelPath = modelPath };
        configure?.Invoke(options);
        return new LLamaSharpChatClient(options, loggerFactory);
    }

    /// <summary>The clock for generation deadlines.</summary>
    internal TimeProvider Time { get; }

    /// <summary>Identifies the model: file name plus a hash of its size and first bytes, so another model is another cache scope.</summary>
    public string ModelId { get; }

    /// <summary>Provider, endpoint (none) and <see cref="ModelId"/>.</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>Whether the loaded llama.cpp backend can offload layers to a GPU.</summary>
    public bool GpuOffloadAvailable { get; }

    /// <summary>The GPU layer count actually used: the configured one, or 0 after a CPU fallback.</summary>
    public int EffectiveGpuLayerCount { get; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = Submit(messages, options, cancellationToken);
        var text = new StringBuilder();
        await foreach (var delta in request.Deltas.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            text.Append(delta);
        }

        var outcome = await request.Outcome.Task.ConfigureAwait(false);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = ModelId,
            FinishReason = outcome.FinishReason,
            CreatedAt = request.CreatedAt,
            ResponseId = request.Id,
            Usage = outcome.Usage,
        };
        if (outcome.Incomplete)
        {
            response.AdditionalProperties = new AdditionalPropertiesDictionary { [IncompletePropertyName] = true };
        }

        return response;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = Submit(messages, options, cancellationToken);
        try
        {
            await foreach (var delta in request.Deltas.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, delta)
                {
                    ModelId = ModelId,
                    ResponseId = request.Id,
                    MessageId = request.Id,
                    CreatedAt = request.CreatedAt,
                };
            }

            var outcome = await request.Outcome.Task.ConfigureAwait(false);
            var final = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(outcome.Usage)])
            {
                ModelId = ModelId,
                ResponseId = request.Id,
                MessageId = request.Id,
                CreatedAt = request.CreatedAt,
                FinishReason = outcome.FinishReason,
            };
            if (outcome.Incomplete)
            {
                final.AdditionalProperties = new AdditionalPropertiesDictionary { [IncompletePropertyName] = true };
            }

            yield return final;
        }
        finally
        {
            // A consumer that stops early abandons the request: free its batch slot.
            request.Abandon();
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return Metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Stops the decode loop (pending requests are cancelled) and frees the model.</summary>
    /// <summary>
    /// Stops accepting requests and stops the decode loop without waiting for it: the step in flight ends first, then
    /// the model and context are released (use <see cref="DisposeAsync"/> to wait for that).
    /// </summary>
    public void Dispose()
    {
        if (!BeginDispose())
        {
            return;
        }

        if (_loop.IsCompleted)
        {
            ReleaseNative();
        }
        else
        {
            _ = _loop.ContinueWith(static (_, state) => ((LLamaSharpChatClient)state!).ReleaseNative(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Stops the decode loop, waits (asynchronously) until it has stopped, and releases the model and context.</summary>
    public async ValueTask DisposeAsync()
    {
        BeginDispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        ReleaseNative();
    }

    private bool BeginDispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        _incoming.Writer.TryComplete();
        _shutdown.Cancel();
        return true;
    }

    private void ReleaseNative()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _decodeLoop.Dispose();
        _executor.Dispose();
        _weights.Dispose();
        _shutdown.Dispose();
    }

    private GenerationRequest Submit(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var (prefix, suffix) = PromptFormat.Render(messages);

        var maxTokens = chatOptions?.MaxOutputTokens ?? _options.MaxTokens;
        if (maxTokens < 1)
        {
            throw new ArgumentException("ChatOptions.MaxOutputTokens must be positive.", nameof(chatOptions));
        }

        var temperature = chatOptions?.Temperature ?? _options.Temperature;
        var sampling = new SamplingSettings(
            temperature,
            chatOptions?.TopP ?? _options.TopP,
            chatOptions?.TopK ?? _options.TopK,
            chatOptions?.Seed is { } seed ? unchecked((uint)seed) : _options.Seed);

        var request = new GenerationRequest(prefix, suffix, maxTokens, sampling, _options.GenerationTimeout, Time, cancellationToken);
        if (!_incoming.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(LLamaSharpChatClient));
        }

        return request;
    }

    private static string ComputeModelId(string path)
    {
        var info = new FileInfo(path);
        var head = new byte[Math.Min(info.Length, 1 << 20)];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            stream.ReadExactly(head);
        }

        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, info.Length);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(length);
        sha.AppendData(head);
        var hash = Convert.ToHexStringLower(sha.GetHashAndReset().AsSpan(0, 8));
        return $"{info.Name}#{hash}";
    }
}
