using Microsoft.Extensions.Logging;

namespace RagKit.Redis;

/// <summary>
/// Every log event of RagKit.Redis. Event ids are in 2000–2999 (docs/telemetry.md lists the ranges of all packages):
/// 2000–2099 calls and entries, 2100–2199 the change stream, 2300–2399 repairs of keys of a foreign type or state.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, EventName = nameof(CallFailed), Level = LogLevel.Warning,
        Message = "RagKit.Redis: a Redis call failed; the tier is skipped for this call.")]
    public static partial void CallFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2002, EventName = nameof(StreamFailed), Level = LogLevel.Warning,
        Message = "RagKit.Redis: change stream read failed; the mirrors are reloaded once Redis answers again.")]
    public static partial void StreamFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2003, EventName = nameof(CorruptEntry), Level = LogLevel.Warning,
        Message = "RagKit.Redis: entry {Key} is corrupt or of a foreign format; it is deleted.")]
    public static partial void CorruptEntry(ILogger logger, string key);

    [LoggerMessage(EventId = 2004, EventName = nameof(TooLarge), Level = LogLevel.Information,
        Message = "RagKit.Redis: answer of {Bytes} bytes exceeds MaxValueBytes; it is not shared.")]
    public static partial void TooLarge(ILogger logger, int bytes);

    [LoggerMessage(EventId = 2005, EventName = nameof(MirrorLoaded), Level = LogLevel.Information,
        Message = "RagKit.Redis: loaded {Count} entries of scope {Scope} into the local mirror.")]
    public static partial void MirrorLoaded(ILogger logger, int count, string scope);

    [LoggerMessage(EventId = 2101, EventName = nameof(StreamRecovered), Level = LogLevel.Information,
        Message = "RagKit.Redis: change stream readable again; missed invalidations are replayed before cached answers are served.")]
    public static partial void StreamRecovered(ILogger logger);

    [LoggerMessage(EventId = 2102, EventName = nameof(FeedReset), Level = LogLevel.Warning,
        Message = "RagKit.Redis: the change stream cannot be replayed (Redis lost its data, a key was repaired, or entries were trimmed unread); in-process answers are dropped and versions reloaded.")]
    public static partial void FeedReset(ILogger logger);

    [LoggerMessage(EventId = 2103, EventName = nameof(KeyRepaired), Level = LogLevel.Warning,
        Message = "RagKit.Redis: a {What} key held the wrong type; it was deleted so invalidation keeps working.")]
    public static partial void KeyRepaired(ILogger logger, string what);

    [LoggerMessage(EventId = 2301, EventName = nameof(PoisonedKey), Level = LogLevel.Warning,
        Message = "RagKit.Redis: key {Key} holds another type than RagKit writes there (expected {Expected}); it is deleted.")]
    public static partial void PoisonedKey(ILogger logger, string key, string expected);

    [LoggerMessage(EventId = 2302, EventName = nameof(LeaseWithoutExpiry), Level = LogLevel.Warning,
        Message = "RagKit.Redis: single-flight lease {Key} has no expiry or one beyond the lease ({TtlMs} ms); it is deleted and the question generated here.")]
    public static partial void LeaseWithoutExpiry(ILogger logger, string key, long ttlMs);

    [LoggerMessage(EventId = 2303, EventName = nameof(EpochReplaced), Level = LogLevel.Warning,
        Message = "RagKit.Redis: document epoch {Key} is unreadable; a new epoch is written, so answers built from the document are misses.")]
    public static partial void EpochReplaced(ILogger logger, string key);

    [LoggerMessage(EventId = 2304, EventName = nameof(ScopeIndexRebuilt), Level = LogLevel.Information,
        Message = "RagKit.Redis: rebuilt {Count} entries of scope {Scope} into its vector hash after a repair.")]
    public static partial void ScopeIndexRebuilt(ILogger logger, int count, string scope);
}
