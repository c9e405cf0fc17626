using LLama.Native;
using Microsoft.Extensions.Logging;

namespace RagKit.LLamaSharp;

/// <summary>Every log event of RagKit.LLamaSharp. Event ids are in 4000–4999 (docs/telemetry.md lists the ranges of all packages).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4001, EventName = nameof(GpuUnavailable), Level = LogLevel.Warning,
        Message = "GpuLayerCount is {GpuLayerCount} but the loaded llama.cpp backend has no GPU support (is a CUDA backend package referenced instead of LLamaSharp.Backend.Cpu?); generating on the CPU.")]
    public static partial void GpuUnavailable(ILogger logger, int gpuLayerCount);

    [LoggerMessage(EventId = 4002, EventName = nameof(DecodeFailed), Level = LogLevel.Error,
        Message = "llama.cpp decode failed with {Result}; the requests in flight were failed.")]
    public static partial void DecodeFailed(ILogger logger, DecodeResult result);
}
