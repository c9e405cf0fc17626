using System.Numerics;
using System.Runtime.CompilerServices;

namespace RagKit.Caching;

/// <summary>
/// A 4-bit count-min sketch (depth 4) with a doorkeeper bloom filter and periodic aging (all counters halved
/// after a sample of additions), as in TinyLFU. The table is sized to the cache's capacity but allocated only when
/// first needed: until a frequency is asked (the cache's first eviction) or the log of additions would outgrow the
/// table, additions are logged and then replayed into the table, which so reaches exactly the state it would have had
/// from the start. A cache per scope that never fills (one tenant, a few answers) keeps a log of a few ints.
/// </summary>
internal sealed class FrequencySketch
{
    private const ulong ResetMask = 0x7777_7777_7777_7777UL;
    private const ulong Seed0 = 0xc3a5c85c97cb3127UL;
    private const ulong Seed1 = 0xb492b66fbe98f273UL;
    private const ulong Seed2 = 0x9ae16a3b2f90404fUL;
    private const ulong Seed3 = 0xcbf29ce484222325UL;
    private const int InitialLog = 4;
    private ulong[]? _table;
    private ulong[]? _doorkeeper;
    private readonly int _tableLength;
    private readonly int _doorkeeperLength;
    private int[]? _log = [];
    private int _logged;
    private readonly int _widthMask;
    private readonly int _doorMask;
    private readonly int _sampleSize;
    private int _additions;

    public FrequencySketch(int capacity, int widthFactor = 4, int sampleFactor = 10, int minWidth = 16, int minSample = 0)
    {
        int cap = Math.Max(capacity, 16);
        int width = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp((long)cap * widthFactor, minWidth, 1 << 26));
        _widthMask = width - 1;
        _tableLength = Math.Max(1, width * 4 / 16);
        int doorBits = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min((long)width * 2, 1 << 28));
        _doorMask = doorBits - 1;
        _doorkeeperLength = Math.Max(1, doorBits / 64);
        _sampleSize = (int)Math.Min(Math.Max((long)cap * sampleFactor, minSample), int.MaxValue);
    }

    public int SampleSize => _sampleSize;

    /// <summary>True once the table is allocated (tests).</summary>
    internal bool IsAllocated => _table is not null;

    /// <summary>Allocates the table now (replaying the log), e.g. when the cache is full and frequencies will be asked.</summary>
    public void EnsureAllocated()
    {
        if (_table is null)
        {
            Allocate();
        }
    }

    /// <summary>Estimated frequency of the hash (0–16).</summary>
    public int Frequency(int hashCode)
    {
        if (_table is null)
        {
            Allocate();
        }

        ulong h = Spread(hashCode);
        int min = Math.Min(
            Math.Min(Counter(Index(h, Seed0, Seed1, 0)), Counter(Index(h, Seed1, Seed2, 1))),
            Math.Min(Counter(Index(h, Seed2, Seed3, 2)), Counter(Index(h, Seed3, Seed0, 3))));
        return min + (DoorkeeperContains(h) ? 1 : 0);
    }

    /// <summary>Records one occurrence.</summary>
    public void Increment(int hashCode)
    {
        if (_table is null && Log(hashCode))
        {
            return;
        }

        Add(hashCode);
    }

    /// <summary>Logs the addition while the table is not allocated; false once it is (or has just been) allocated.</summary>
    private bool Log(int hashCode)
    {
        int[] log = _log!;
        if (_logged == log.Length)
        {
            // The log may take as many bytes as the table would (8 per ulong, 4 per int); past that, allocate.
            long grown = Math.Max(InitialLog, (long)log.Length * 2);
            if (grown > (long)_tableLength * 2)
            {
                Allocate();
                return false;
            }

            Array.Resize(ref _log, (int)grown);
            log = _log;
        }

        log[_logged++] = hashCode;
        return true;
    }

    /// <summary>Allocates the table and replays the logged additions into it, in order (so resets fall where they would have).</summary>
    private void Allocate()
    {
        _table = new ulong[_tableLength];
        _doorkeeper = new ulong[_doorkeeperLength];
        int[] log = _log!;
        int logged = _logged;
        _log = null;
        _logged = 0;
        for (int i = 0; i < logged; i++)
        {
            Add(log[i]);
        }
    }

    private void Add(int hashCode)
    {
        ulong h = Spread(hashCode);
        if (!DoorkeeperContains(h))
        {
            DoorkeeperAdd(h);
        }
        else
        {
            // Conservative update: only the smallest counters grow. The four rows are unrolled (a hit replays this).
            int i0 = Index(h, Seed0, Seed1, 0), i1 = Index(h, Seed1, Seed2, 1), i2 = Index(h, Seed2, Seed3, 2), i3 = Index(h, Seed3, Seed0, 3);
            int c0 = Counter(i0), c1 = Counter(i1), c2 = Counter(i2), c3 = Counter(i3);
            int min = Math.Min(Math.Min(c0, c1), Math.Min(c2, c3));
            if (min < 15)
            {
                if (c0 == min)
                {
                    AddCounter(i0);
                }

                if (c1 == min)
                {
                    AddCounter(i1);
                }

                if (c2 == min)
                {
                    AddCounter(i2);
                }

                if (c3 == min)
                {
                    AddCounter(i3);
                }
            }
        }

        if (++_additions >= _sampleSize)
        {
            Reset();
        }
    }

    private void Reset()
    {
        ulong[] table = _table!;
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (table[i] >> 1) & ResetMask;
        }

        Array.Clear(_doorkeeper!);
        _additions /= 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Counter(int index) => (int)((_table![index >> 4] >> ((index & 15) << 2)) & 0xF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(ulong h, ulong seed, ulong multiplier, int row)
    {
        ulong x = (h + seed) * multiplier;
        x ^= x >> 29;
        return (row * (_widthMask + 1)) + (int)(x & (ulong)_widthMask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddCounter(int index) => _table![index >> 4] += 1UL << ((index & 15) << 2);

    private bool DoorkeeperContains(ulong h)
    {
        int a = (int)(h & (ulong)_doorMask);
        int b = (int)((h >> 32) & (ulong)_doorMask);
        ulong[] door = _doorkeeper!;
        return (door[a >> 6] & (1UL << (a & 63))) != 0 && (door[b >> 6] & (1UL << (b & 63))) != 0;
    }

    private void DoorkeeperAdd(ulong h)
    {
        int a = (int)(h & (ulong)_doorMask);
        int b = (int)((h >> 32) & (ulong)_doorMask);
        ulong[] door = _doorkeeper!;
        door[a >> 6] |= 1UL << (a & 63);
        door[b >> 6] |= 1UL << (b & 63);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Spread(int hashCode)
    {
        ulong x = (uint)hashCode * 0x9E3779B97F4A7C15UL;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        return x;
    }
}
