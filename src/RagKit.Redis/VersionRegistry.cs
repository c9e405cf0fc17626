using System.Globalization;
using RagKit.Caching;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>
/// The document versions every instance follows. Three keys share the stream's hash slot (so one script updates them
/// atomically, on Redis Cluster too): the change stream <c>&lt;prefix&gt;:stream</c>, the registry hash
/// <c>{&lt;prefix&gt;:stream}:versions</c> (document → its latest version record) and the epoch string
/// <c>{&lt;prefix&gt;:stream}:epoch</c>, a random id that changes whenever Redis lost (or RagKit had to repair) the
/// stream or the registry, so every instance knows to start over. A key of the wrong type is deleted and the epoch moved.
/// </summary>
internal static class VersionRegistry
{
    /// <summary>Stream entries a follower reads per round trip.</summary>
    public const int ReadBatch = 1000;

    // Deletes a key of the wrong type, moving the epoch (KEYS[2]); then makes sure an epoch exists (ARGV[1]).
    private const string Repair = """
        local function repair(key, want)
          local t = redis.call('type', key).ok
          if t ~= want and t ~= 'none' then redis.call('del', key); redis.call('del', KEYS[2]); return 1 end
          return 0
        end
        local repaired = repair(KEYS[1], 'stream') + repair(KEYS[3], 'hash')
        local et = redis.call('type', KEYS[2]).ok
        if et ~= 'string' and et ~= 'none' then redis.call('del', KEYS[2]); repaired = repaired + 1 end
        redis.call('set', KEYS[2], ARGV[1], 'NX')
        local epoch = redis.call('get', KEYS[2])
        """;

    /// <summary>KEYS: stream, epoch, registry. ARGV: new epoch, origin, max length, then records. Sets each record and appends a <c>v</c> event.</summary>
    public const string PublishScript = Repair + """

        for i = 4, #ARGV, 2 do
          redis.call('hset', KEYS[3], ARGV[i], ARGV[i + 1])
          redis.call('xadd', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'o', ARGV[2], 't', 'v', 'r', ARGV[i + 1])
        end
        return repaired
        """;

    /// <summary>KEYS: stream, epoch, registry. ARGV: new epoch. Returns { epoch, last stream id, registry as field/value pairs, repaired }.</summary>
    public const string SnapshotScript = Repair + """

        local last = '0-0'
        if redis.call('exists', KEYS[1]) == 1 then
          local l = redis.call('xrevrange', KEYS[1], '+', '-', 'COUNT', 1)
          if #l > 0 then last = l[1][1] end
        end
        return { epoch, last, redis.call('hgetall', KEYS[3]), repaired }
        """;

    /// <summary>
    /// KEYS: stream, epoch, registry. ARGV: new epoch, last applied id, count. Returns { epoch, lost, entries, repaired }:
    /// lost is 1 when the last applied entry was trimmed away (entries after it may be gone too).
    /// </summary>
    public const string ReadScript = Repair + """

        local lost = 0
        local entries = {}
        if redis.call('exists', KEYS[1]) == 1 then
          if ARGV[2] ~= '0-0' and #redis.call('xrange', KEYS[1], ARGV[2], ARGV[2]) == 0 then lost = 1 end
          entries = redis.call('xrange', KEYS[1], '(' .. ARGV[2], '+', 'COUNT', ARGV[3])
        elseif ARGV[2] ~= '0-0' then
          lost = 1
        end
        return { epoch, lost, entries, repaired }
        """;

    /// <summary>KEYS: one provenance set. ARGV: member. Adds it, replacing a key of the wrong type (which would stop invalidation).</summary>
    public const string ProvenanceAddScript = """
        local t = redis.call('type', KEYS[1]).ok
        local repaired = 0
        if t ~= 'set' and t ~= 'none' then redis.call('del', KEYS[1]); repaired = 1 end
        redis.call('sadd', KEYS[1], ARGV[1])
        return repaired
        """;

    /// <summary>
    /// KEYS: one provenance set. Returns its members and deletes it; a key of the wrong type is deleted and reported as
    /// the number 1 (its entries cannot be found any more; the version check keeps them from being served).
    /// </summary>
    public const string ProvenanceTakeScript = """
        local t = redis.call('type', KEYS[1]).ok
        if t == 'set' then
          local m = redis.call('smembers', KEYS[1])
          redis.call('del', KEYS[1])
          return m
        elseif t == 'none' then
          return {}
        end
        redis.call('del', KEYS[1])
        return 1
        """;

    public static RedisKey RegistryKey(string prefix) => $"{{{prefix}:stream}}:versions";

    public static RedisKey EpochKey(string prefix) => $"{{{prefix}:stream}}:epoch";

    public static string NewEpoch() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// One document's version as text: <c>version|tenant length|collection length|tenant collection id</c>, where the
    /// version is 16 hex digits or <c>c</c> + the change mark's expiry in Unix milliseconds.
    /// </summary>
    public static string Encode(DocumentVersion v)
    {
        string version = v.Version == DocumentVersion.Changing
            ? "c" + v.ChangingUntil.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)
            : EntryCodec.Hex(v.Version);
        DocumentKey d = v.Document;
        return string.Create(CultureInfo.InvariantCulture, $"{version}|{d.Tenant.Length}|{d.Collection.Length}|{d.Tenant}{d.Collection}{d.DocumentId}");
    }

    /// <summary>Decodes <see cref="Encode"/>'s text; false for anything else.</summary>
    public static bool TryDecode(string? text, out DocumentVersion version)
    {
        version = default;
        if (text is null)
        {
            return false;
        }

        string[] parts = text.Split('|', 4);
        if (parts.Length != 4
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int tl)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int cl)
            || tl + cl > parts[3].Length)
        {
            return false;
        }

        var key = new DocumentKey(parts[3][..tl], parts[3].Substring(tl, cl), parts[3][(tl + cl)..]);
        if (parts[0].StartsWith('c'))
        {
            if (!long.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
            {
                return false;
            }

            version = new DocumentVersion(key, DocumentVersion.Changing) { ChangingUntil = DateTimeOffset.FromUnixTimeMilliseconds(ms) };
            return true;
        }

        if (parts[0].Length != 16 || !ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hash))
        {
            return false;
        }

        version = new DocumentVersion(key, hash);
        return true;
    }
}
