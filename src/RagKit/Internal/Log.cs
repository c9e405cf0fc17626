using Microsoft.Extensions.Logging;

namespace RagKit.Internal;

/// <summary>
/// Every log event of the RagKit assembly. Event ids are in 1000–1999 (docs/telemetry.md lists the ranges of all
/// packages): 1000–1099 pipeline and chat middleware, 1100–1199 prewarming, 1300–1399 the embedded store.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, EventName = nameof(TierSkipped), Level = LogLevel.Warning,
        Message = "RagKit skipped the {Tier} tier ({Reason}); the question is answered from the next tier.")]
    public static partial void TierSkipped(ILogger logger, string tier, string reason, Exception exception);

    [LoggerMessage(EventId = 1002, EventName = nameof(TierFailed), Level = LogLevel.Warning,
        Message = "RagKit could not update the {Tier} tier.")]
    public static partial void TierFailed(ILogger logger, string tier, Exception exception);

    [LoggerMessage(EventId = 1003, EventName = nameof(PublishFailed), Level = LogLevel.Error,
        Message = "RagKit could not publish the {What} of {Count} document(s) to the other instances.")]
    public static partial void PublishFailed(ILogger logger, int count, string what, Exception exception);

    [LoggerMessage(EventId = 1101, EventName = nameof(PrewarmingStarted), Level = LogLevel.Information,
        Message = "RagKit prewarming '{Policy}' started in the background.")]
    public static partial void PrewarmingStarted(ILogger logger, string policy);

    [LoggerMessage(EventId = 1102, EventName = nameof(PrewarmingFinished), Level = LogLevel.Information,
        Message = "RagKit prewarming '{Policy}' finished: {Completed} warmed, {Failed} failed.")]
    public static partial void PrewarmingFinished(ILogger logger, string policy, int completed, int failed);

    [LoggerMessage(EventId = 1103, EventName = nameof(PrewarmingStopped), Level = LogLevel.Information,
        Message = "RagKit prewarming '{Policy}' stopped with the host: {Completed} warmed, {Failed} failed.")]
    public static partial void PrewarmingStopped(ILogger logger, string policy, int completed, int failed);

    [LoggerMessage(EventId = 1104, EventName = nameof(PrewarmingQuestionFailed), Level = LogLevel.Warning,
        Message = "RagKit prewarming '{Policy}' could not warm '{Question}'; the rest go on.")]
    public static partial void PrewarmingQuestionFailed(ILogger logger, string policy, string? question, Exception? error);

    [LoggerMessage(EventId = 1105, EventName = nameof(PrewarmingFailed), Level = LogLevel.Error,
        Message = "RagKit prewarming '{Policy}' failed; the pipeline serves as usual without it.")]
    public static partial void PrewarmingFailed(ILogger logger, string policy, Exception error);

    [LoggerMessage(EventId = 1301, EventName = nameof(StoreUnacknowledgedCut), Level = LogLevel.Warning,
        Message = "RagKit store {Path}: cut off {Bytes} bytes of a write that was never acknowledged (interrupted before its commit); every acknowledged record is intact.")]
    public static partial void StoreUnacknowledgedCut(ILogger logger, string path, long bytes);

    [LoggerMessage(EventId = 1302, EventName = nameof(StoreUnacknowledgedSkipped), Level = LogLevel.Information,
        Message = "RagKit store {Path} (read-only): skipped {Bytes} bytes of a write that was never acknowledged; the file was left as it is.")]
    public static partial void StoreUnacknowledgedSkipped(ILogger logger, string path, long bytes);

    [LoggerMessage(EventId = 1303, EventName = nameof(StoreCompactionFinished), Level = LogLevel.Information,
        Message = "RagKit store {Path}: finished a compaction that was committed before the process stopped.")]
    public static partial void StoreCompactionFinished(ILogger logger, string path);

    [LoggerMessage(EventId = 1304, EventName = nameof(StoreCompactionFailed), Level = LogLevel.Error,
        Message = "RagKit store {Path}: compaction failed; the current log stays in use and every write is kept.")]
    public static partial void StoreCompactionFailed(ILogger logger, Exception exception, string path);
}
