using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace RagKit.Internal;

/// <summary>
/// A thin, allocation-free wrapper over USearch's C API (shipped native in Cloud.Unum.USearch).
/// The managed binding allocates result arrays on every search and grows capacity one slot at a time;
/// this one searches into caller spans and doubles capacity.
/// </summary>
/// <remarks>
/// Searches run concurrently under a read lock; adds, removes and growth take the write lock.
/// USearch keeps a fixed pool of search contexts and fails a search when all are taken
/// ("Reserve capacity ahead of searches"), so the pool is sized explicitly and a gate with as many
/// permits makes any further concurrent search wait for a context instead of failing.
/// </remarks>
internal sealed unsafe partial class HnswIndex : IDisposable
{
    private const string Lib = "libusearch_c";

    /// <summary>Concurrent searches per index: twice the cores, at least 8, at most 64.</summary>
    internal static readonly int SearchContexts = Math.Clamp(Environment.ProcessorCount * 2, 8, 64);

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _searchGate = new(SearchContexts, SearchContexts);
    private IntPtr _index;
    private ulong _capacity;

    public HnswIndex(int dimensions, ScalarKind quantization = ScalarKind.Float16, int connectivity = 16, int expansionAdd = 128, int expansionSearch = 64)
    {
        if (dimensions <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dimensions));
        }

        Dimensions = dimensions;
        var options = new IndexOptions(MetricKind.Cos, IntPtr.Zero, quantization, (ulong)dimensions, (ulong)connectivity, (ulong)expansionAdd, (ulong)expansionSearch, false);
        _index = usearch_init(ref options, out IntPtr error);
        ThrowIfError(error);
        Reserve(64);
    }

    public int Dimensions { get; }

    public long Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return (long)usearch_size(_index, out _);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public void Add(ulong key, ReadOnlySpan<float> vector)
    {
        CheckDimensions(vector.Length);
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_index == IntPtr.Zero, this);
            ulong size = (ulong)usearch_size(_index, out _);
            if (size + 1 > _capacity)
            {
                Reserve(Math.Max(64, _capacity * 2));
            }

            fixed (float* p = vector)
            {
                usearch_add(_index, key, p, ScalarKind.Float32, out IntPtr error);
                ThrowIfError(error);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool Remove(ulong key)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_index == IntPtr.Zero)
            {
                return false;
            }

            nuint removed = usearch_remove(_index, key, out IntPtr error);
            ThrowIfError(error);
            return removed > 0;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Finds up to <c>keys.Length</c> nearest neighbours; distances are cosine distances (1 - similarity).</summary>
    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        CheckDimensions(query.Length);
        int count = Math.Min(keys.Length, distances.Length);
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_index == IntPtr.Zero, this);
            _searchGate.Wait();
            try
            {
                fixed (float* q = query)
                fixed (ulong* k = keys)
                fixed (float* d = distances)
                {
                    nuint found = usearch_search(_index, q, ScalarKind.Float32, (nuint)count, k, d, out IntPtr error);
                    ThrowIfError(error);
                    return (int)found;
                }
            }
            finally
            {
                _searchGate.Release();
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose()
    {
        _lock.EnterWriteLock();
        try
        {
            if (_index != IntPtr.Zero)
            {
                usearch_free(_index, out _);
                _index = IntPtr.Zero;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void Reserve(ulong capacity)
    {
        usearch_reserve(_index, (nuint)capacity, out IntPtr error);
        ThrowIfError(error);

        // Set after every reserve: a reserve may size the context pool to the hardware threads again.
        usearch_change_threads_search(_index, (nuint)SearchContexts, out error);
        ThrowIfError(error);
        _capacity = capacity;
    }

    private void CheckDimensions(int length)
    {
        if (length != Dimensions)
        {
            throw new ArgumentException($"Expected a vector of {Dimensions} dimensions; got {length}.", "vector");
        }
    }

    private static void ThrowIfError(IntPtr error)
    {
        if (error != IntPtr.Zero)
        {
            throw new InvalidOperationException("USearch: " + Marshal.PtrToStringUTF8(error));
        }
    }

#pragma warning disable SYSLIB1054 // IndexOptions holds a non-blittable bool; init runs once per index.
    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr usearch_init(ref IndexOptions options, out IntPtr error);
#pragma warning restore SYSLIB1054

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial void usearch_free(IntPtr index, out IntPtr error);

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial nuint usearch_size(IntPtr index, out IntPtr error);

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial void usearch_reserve(IntPtr index, nuint capacity, out IntPtr error);

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial void usearch_change_threads_search(IntPtr index, nuint threads, out IntPtr error);

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial void usearch_add(IntPtr index, ulong key, float* vector, ScalarKind kind, out IntPtr error);

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial nuint usearch_remove(IntPtr index, ulong key, out IntPtr error);

    [LibraryImport(Lib)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static partial nuint usearch_search(IntPtr index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, out IntPtr error);
}
