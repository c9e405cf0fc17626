using Microsoft.Extensions.Logging;

namespace RagKit.Onnx;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Input of {TokenCount} tokens was truncated to {MaxTokens} tokens before embedding.")]
    public static partial void InputTruncated(ILogger logger, int tokenCount, int maxTokens);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "The CUDA execution provider (device {DeviceId}) could not be loaded; embeddings run on the CPU. Install the GPU build of ONNX Runtime for CUDA.")]
    public static partial void CudaUnavailable(ILogger logger, int deviceId, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug,
        Message = "Embedding model loaded: {ModelId}, execution provider {Provider}.")]
    public static partial void ModelLoaded(ILogger logger, string modelId, string provider);
}
