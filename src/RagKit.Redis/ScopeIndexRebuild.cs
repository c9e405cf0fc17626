using System.Globalization;
using System.Text;
using RagKit.Caching;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>
/// Rebuilds a scope's vector hash from the scope's entries after a poisoned hash was deleted: every entry carries its
/// compressed embedding, so the entries stored before the repair are found again by instances that load the scope
/// later. Each restored entry is also announced on the change stream as an insert: an instance whose mirror loaded
/// the scope while the hash was deleted and not yet rebuilt would otherwise never learn of the entries stored before
/// the repair. Background work (SCAN over the masters, one MGET, one HSET and one batch of stream adds per page); the
/// answers stay in their entries, so an id restored for an entry that is gone meanwhile is a miss and is dropped on its
/// first lookup, never served.
/// </summary>
internal static class ScopeIndexRebuild
{
    private const int PageSize = 256;

    /// <summary>
    /// Restores the vector-hash field of every readable entry of the scope; returns how many were restored.
    /// <c>announce</c> adds the stream event of one restored entry (id, vector bytes, generation cost in seconds, entry size) to a batch.
    /// </summary>
    public static async Task<int> RunAsync(IConnectionMultiplexer mux, IDatabase db, string scopeTag, RedisKey vectors, int dimensions, ScopeMirror? mirror, Func<IBatch, ulong, byte[], double, int, Task> announce, CancellationToken cancellationToken)
    {
        string pattern = EscapeGlob(scopeTag) + ":e:*";
        var vector = new float[dimensions];
        var page = new List<RedisKey>(PageSize);
        int restored = 0;
        foreach (IServer server in mux.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            await foreach (RedisKey key in server.KeysAsync(db.Database, pattern, pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                page.Add(key);
                if (page.Count == PageSize)
                {
                    restored += await RestorePageAsync(db, page, vectors, vector, mirror, announce).ConfigureAwait(false);
                    page.Clear();
                }
            }

            if (page.Count > 0)
            {
                restored += await RestorePageAsync(db, page, vectors, vector, mirror, announce).ConfigureAwait(false);
                page.Clear();
            }
        }

        return restored;
    }

    private static async Task<int> RestorePageAsync(IDatabase db, List<RedisKey> keys, RedisKey vectors, float[] vector, ScopeMirror? mirror, Func<IBatch, ulong, byte[], double, int, Task> announce)
    {
        RedisValue[] values = await db.StringGetAsync(keys.ToArray()).ConfigureAwait(false); // one slot: the scope's hash tag
        var fields = new List<HashEntry>(keys.Count);
        var events = new List<(ulong Id, byte[] Vector, double Cost, int Size)>(keys.Count);
        for (int i = 0; i < values.Length; i++)
        {
            string key = keys[i].ToString();
            if (values[i].IsNull
                || !ulong.TryParse(key.AsSpan(key.LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong id))
            {
                continue;
            }

            byte[] bytes = (byte[])values[i]!;
            if (!EntryCodec.TryDecodeEntry(bytes, vector.Length, vector, out CachedAnswer? answer))
            {
                continue; // corrupt entries are deleted by the lookup that meets them
            }

            int size = EntryCodec.TryDecodeVector(bytes.AsSpan(4), vector.Length, vector);
            byte[] stored = bytes.AsSpan(4, size).ToArray();
            double cost = answer!.GenerationCost.TotalSeconds;
            fields.Add(new HashEntry(EntryCodec.Hex(id), stored));
            events.Add((id, stored, cost, bytes.Length));
            mirror?.Add(id, vector, new EvictionEntryInfo(bytes.Length, cost));
        }

        if (fields.Count > 0)
        {
            // The hash first: an instance that loads the scope after an announcement finds the entry in the hash too.
            await db.HashSetAsync(vectors, fields.ToArray()).ConfigureAwait(false);
            IBatch batch = db.CreateBatch();
            var adds = new Task[events.Count];
            for (int i = 0; i < events.Count; i++)
            {
                adds[i] = announce(batch, events[i].Id, events[i].Vector, events[i].Cost, events[i].Size);
            }

            batch.Execute();
            await Task.WhenAll(adds).ConfigureAwait(false);
        }

        return fields.Count;
    }

    private static string EscapeGlob(string text)
    {
        var sb = new StringBuilder(text.Length + 4);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
