using System.Diagnostics.CodeAnalysis;
using Cloud.Unum.USearch;
using RagKit.Internal;

namespace RagKit.Providers;

/// <summary>
/// The approximate nearest-neighbour index RagKit's own tiers use (USearch HNSW, cosine metric), for providers that
/// keep a local index in front of a remote store: searches write into caller spans (no allocation), capacity doubles
/// as entries are added, and concurrent searches beyond USearch's pool of search contexts wait instead of failing.
/// Thread-safe: searches run concurrently; adds and removes are exclusive.
/// </summary>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public sealed class HnswVectorIndex : IDisposable
{
    private readonly HnswIndex _index;

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimensions">Length of every vector added or searched.</param>
    /// <param name="quantization">How vectors are stored in the index (searches take f32 vectors).</param>
    /// <param name="connectivity">HNSW graph degree (M).</param>
    /// <param name="expansionAdd">Candidate list size while adding (efConstruction).</param>
    /// <param name="expansionSearch">Candidate list size while searching (ef).</param>
    public HnswVectorIndex(int dimensions, ScalarKind quantization = ScalarKind.Float16, int connectivity = 16, int expansionAdd = 128, int expansionSearch = 64)
    {
        _index = new HnswIndex(dimensions, quantization, connectivity, expansionAdd, expansionSearch);
    }

    /// <summary>Length of the index's vectors.</summary>
    public int Dimensions => _index.Dimensions;

    /// <summary>Vectors in the index.</summary>
    public long Count => _index.Count;

    /// <summary>Adds a vector under <paramref name="key"/>.</summary>
    /// <param name="key">The caller's id of the vector.</param>
    /// <param name="vector">The vector; <see cref="Dimensions"/> long.</param>
    public void Add(ulong key, ReadOnlySpan<float> vector) => _index.Add(key, vector);

    /// <summary>Removes the vector stored under <paramref name="key"/>.</summary>
    /// <param name="key">The vector's id.</param>
    /// <returns>False when no vector had that key (or the index is disposed).</returns>
    public bool Remove(ulong key) => _index.Remove(key);

    /// <summary>Finds up to <c>keys.Length</c> nearest neighbours of <paramref name="query"/>, nearest first.</summary>
    /// <param name="query">The query vector; <see cref="Dimensions"/> long.</param>
    /// <param name="keys">Receives the neighbours' keys.</param>
    /// <param name="distances">Receives their cosine distances (1 - similarity, on the quantized vectors).</param>
    /// <returns>How many neighbours were written.</returns>
    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances) => _index.Search(query, keys, distances);

    /// <summary>Frees the native index.</summary>
    public void Dispose() => _index.Dispose();
}
