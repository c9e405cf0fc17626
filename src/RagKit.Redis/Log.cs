using Microsoft.Extensions.Logging;

namespace RagKit.Redis;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit.Redis: a Redis call failed; the tier is skipped for this call.")]
    public static partial void CallFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit.Redis: change stream read failed; the mirrors are reloaded once Redis answers again.")]
    public static partial void StreamFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit.Redis: entry {Key} is corrupt or of a foreign format; it is deleted.")]
    public static partial void CorruptEntry(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "RagKit.Redis: answer of {Bytes} bytes exceeds MaxValueBytes; it is not shared.")]
    public static partial void TooLarge(ILogger logger, int bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "RagKit.Redis: loaded {Count} entries of scope {Scope} into the local mirror.")]
    public static partial void MirrorLoaded(ILogger logger, int count, string scope);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "RagKit.Redis: key {Key} holds another type than RagKit writes there (expected {Expected}); it is deleted.")]
    public static partial void PoisonedKey(ILogger logger, string key, string expected);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "RagKit.Redis: single-flight lease {Key} has no expiry or one beyond the lease ({TtlMs} ms); it is deleted and the question generated here.")]
    public static partial void LeaseWithoutExpiry(ILogger logger, string key, long ttlMs);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "RagKit.Redis: document epoch {Key} is unreadable; a new epoch is written, so answers built from the document are misses.")]
    public static partial void EpochReplaced(ILogger logger, string key);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Information, Message = "RagKit.Redis: rebuilt {Count} entries of scope {Scope} into its vector hash after a repair.")]
    public static partial void ScopeIndexRebuilt(ILogger logger, int count, string scope);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "RagKit.Redis: change stream readable again; missed invalidations are replayed before cached answers are served.")]
    public static partial void StreamRecovered(ILogger logger);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "RagKit.Redis: the change stream cannot be replayed (Redis lost its data, a key was repaired, or entries were trimmed unread); in-process answers are dropped and versions reloaded.")]
    public static partial void FeedReset(ILogger logger);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "RagKit.Redis: a {What} key held the wrong type; it was deleted so invalidation keeps working.")]
    public static partial void KeyRepaired(ILogger logger, string what);
}
