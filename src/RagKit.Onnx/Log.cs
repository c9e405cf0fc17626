using Microsoft.Extensions.Logging;

namespace RagKit.Onnx;

/// <summary>Every log event of RagKit.Onnx. Event ids are in 3000–3999 (docs/telemetry.md lists the ranges of all packages).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, EventName = nameof(InputTruncated), Level = LogLevel.Warning,
        Message = "Input of {TokenCount} tokens was truncated to {MaxTokens} tokens before embedding.")]
    public static partial void InputTruncated(ILogger logger, int tokenCount, int maxTokens);

    [LoggerMessage(EventId = 3002, EventName = nameof(CudaUnavailable), Level = LogLevel.Warning,
        Message = "The CUDA execution provider (device {DeviceId}) could not be loaded; embeddings run on the CPU. Install the GPU build of ONNX Runtime for CUDA.")]
    public static partial void CudaUnavailable(ILogger logger, int deviceId, Exception exception);

    [LoggerMessage(EventId = 3003, EventName = nameof(ModelLoaded), Level = LogLevel.Debug,
        Message = "Embedding model loaded: {ModelId}, execution provider {Provider}.")]
    public static partial void ModelLoaded(ILogger logger, string modelId, string provider);

    [LoggerMessage(EventId = 3004, EventName = nameof(CudaGraphUnavailable), Level = LogLevel.Information,
        Message = "Single texts run without a CUDA graph: {Reason}")]
    public static partial void CudaGraphUnavailable(ILogger logger, string reason, Exception? exception);
}
