using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>
/// Tells a poisoned key (another type or unreadable contents where RagKit expects its own) from an unavailable Redis,
/// and repairs such keys. A poisoned key is bad data: it is a miss and is repaired, and never counts toward the breaker.
/// </summary>
internal static class RedisFaults
{
    // Deletes KEYS[1] when it holds a type other than ARGV[1]; type and delete in one step, so a key RagKit
    // rewrote meanwhile with the right type is kept.
    private const string DeleteIfOtherTypeScript =
        "local t = redis.call('type', KEYS[1])['ok'] if t ~= 'none' and t ~= ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

    /// <summary>A command met a key of another type (WRONGTYPE): the server answered, the key is poisoned.</summary>
    public static bool IsWrongType(Exception ex) =>
        ex is RedisServerException && ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    /// <summary>The data read was unusable (wrong type, or fields that do not parse): a corrupt entry, not a tier failure.</summary>
    public static bool IsCorruptData(Exception ex) =>
        IsWrongType(ex) || ex is InvalidCastException or FormatException or OverflowException;

    /// <summary>Redis is unavailable or slow: counts toward the circuit breaker.</summary>
    public static bool IsTierFailure(Exception ex) => ex is RedisException or TimeoutException && !IsWrongType(ex);

    /// <summary>Deletes <paramref name="key"/> if it holds another type than <paramref name="type"/> (<c>hash</c>, <c>string</c>, ...).</summary>
    public static async Task<bool> DeleteIfOtherTypeAsync(IDatabaseAsync db, RedisKey key, string type)
    {
        RedisResult r = await db.ScriptEvaluateAsync(DeleteIfOtherTypeScript, [key], [type]).ConfigureAwait(false);
        return (long)r == 1;
    }

    /// <summary>
    /// Awaits <paramref name="command"/>; when it met <paramref name="key"/> holding another type, the key is deleted
    /// instead of failing the caller (the command's effect on a key of RagKit's type is then moot).
    /// </summary>
    public static async Task DeletingIfWrongTypeAsync(Task command, IDatabaseAsync db, RedisKey key, string type, ILogger log)
    {
        try
        {
            await command.ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (IsWrongType(ex))
        {
            Log.PoisonedKey(log, key.ToString(), type);
            await DeleteIfOtherTypeAsync(db, key, type).ConfigureAwait(false);
        }
    }
}
