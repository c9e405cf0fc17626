using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.CrashChild;

/// <summary>
/// The documents the crash child writes, derived from (id, version) alone, so that the parent can check what it
/// finds in the store without the child's help.
/// </summary>
public static class CrashWorkload
{
    public const int Dims = 32;
    public const int DocumentIds = 40;

    public static DocumentKey Key(int id) => new("crash", "docs", "doc-" + id);

    /// <summary>Version v of document id: 1 to 4 chunks, and every tenth version big enough to span several records.</summary>
    public static int ChunkCount(ulong version) => version % 10 == 0 ? 300 : 1 + (int)(version % 4);

    public static StoredDocument Document(int id, ulong version) => new(
        Key(id),
        version,
        [],
        Enumerable.Range(0, ChunkCount(version)).Select(c => new StoredChunk($"doc-{id}#{c}", c, $"document {id} version {version} chunk {c}", Vector(id, version, c))).ToArray());

    public static float[] Vector(int id, ulong version, int chunk)
    {
        var rng = new Random(unchecked((id * 1_000_003) + ((int)version * 7_919) + chunk)); // HashCode is seeded per process
        var v = new float[Dims];
        float norm = 0;
        for (int i = 0; i < Dims; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
            norm += v[i] * v[i];
        }

        norm = MathF.Sqrt(norm);
        for (int i = 0; i < Dims; i++)
        {
            v[i] /= norm;
        }

        return v;
    }
}
