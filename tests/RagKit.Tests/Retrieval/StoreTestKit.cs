using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Tests.Retrieval;

/// <summary>Documents with seeded random unit vectors, and helpers to open and inspect store folders.</summary>
internal static class StoreTestKit
{
    public const string Tenant = "acme";
    public const string Collection = "default";

    public static RagScope Scope { get; } = new(Tenant, Collection);

    public static DocumentKey Key(string id) => new(Tenant, Collection, id);

    public static float[] UnitVector(int dims, int seed)
    {
        var rng = new Random(seed);
        var v = new float[dims];
        double norm = 0;
        for (int i = 0; i < dims; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
            norm += v[i] * v[i];
        }

        for (int i = 0; i < dims; i++)
        {
            v[i] /= (float)Math.Sqrt(norm);
        }

        return v;
    }

    public static StoredDocument Doc(string id, ulong hash, int dims = 16, int chunks = 1, int seed = 0, IReadOnlyList<string>? groups = null, string? text = null) =>
        new(Key(id), hash, groups ?? [], Enumerable.Range(0, chunks).Select(i => new StoredChunk($"{id}#{i}", i, text ?? $"{id} chunk {i}", UnitVector(dims, HashCode.Combine(id, hash, i, seed)))).ToArray(), "Title " + id);

    public static string LogPath(string dir) => Path.Combine(dir, "ragkit-store.log");

    public static IVectorStore Open(string dir, ILogger? logger = null, bool readOnly = false, int? splitBytes = null)
    {
        var options = new EmbeddedVectorStoreOptions { DirectoryPath = dir, ReadOnly = readOnly };
        if (splitBytes is int s)
        {
            options.RecordSplitBytes = s;
        }

        return EmbeddedVectorStore.Open(options, logger);
    }

    public static void Close(IVectorStore store) => ((IDisposable)store).Dispose();

    /// <summary>Offsets of the records in a store log (after its 32-byte header), read from their length fields.</summary>
    public static List<long> RecordOffsets(byte[] log)
    {
        var offsets = new List<long>();
        long offset = 32;
        while (offset + 24 <= log.Length)
        {
            offsets.Add(offset);
            offset += 24 + BitConverter.ToInt32(log, (int)offset + 12);
        }

        return offsets;
    }
}
