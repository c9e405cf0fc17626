using System.Numerics;
using System.Runtime.CompilerServices;

namespace RagKit.Caching;

/// <summary>
/// A 4-bit count-min sketch (depth 4) with a doorkeeper bloom filter and periodic aging (all counters halved
/// after a sample of additions), as in TinyLFU. Allocation-free after construction.
/// </summary>
internal sealed class FrequencySketch
{
    private const ulong ResetMask = 0x7777_7777_7777_7777UL;
    private const ulong Seed0 = 0xc3a5c85c97cb3127UL;
    private const ulong Seed1 = 0xb492b66fbe98f273UL;
    private const ulong Seed2 = 0x9ae16a3b2f90404fUL;
    private const ulong Seed3 = 0xcbf29ce484222325UL;
    private readonly ulong[] _table;
    private readonly ulong[] _doorkeeper;
    private readonly int _widthMask;
    private readonly int _doorMask;
    private readonly int _sampleSize;
    private int _additions;

    public FrequencySketch(int capacity, int widthFactor = 4, int sampleFactor = 10, int minWidth = 16, int minSample = 0)
    {
        int cap = Math.Max(capacity, 16);
        int width = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp((long)cap * widthFactor, minWidth, 1 << 26));
        _widthMask = width - 1;
        _table = new ulong[Math.Max(1, width * 4 / 16)];
        int doorBits = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min((long)width * 2, 1 << 28));
        _doorMask = doorBits - 1;
        _doorkeeper = new ulong[Math.Max(1, doorBits / 64)];
        _sampleSize = (int)Math.Min(Math.Max((long)cap * sampleFactor, minSample), int.MaxValue);
    }

    public int SampleSize => _sampleSize;

    /// <summary>Estimated frequency of the hash (0–16).</summary>
    public int Frequency(int hashCode)
    {
        ulong h = Spread(hashCode);
        int min = Math.Min(
            Math.Min(Counter(Index(h, Seed0, Seed1, 0)), Counter(Index(h, Seed1, Seed2, 1))),
            Math.Min(Counter(Index(h, Seed2, Seed3, 2)), Counter(Index(h, Seed3, Seed0, 3))));
        return min + (DoorkeeperContains(h) ? 1 : 0);
    }

    /// <summary>Records one occurrence.</summary>
    public void Increment(int hashCode)
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
                    Add(i0);
                }

                if (c1 == min)
                {
                    Add(i1);
                }

                if (c2 == min)
                {
                    Add(i2);
                }

                if (c3 == min)
                {
                    Add(i3);
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
        for (int i = 0; i < _table.Length; i++)
        {
            _table[i] = (_table[i] >> 1) & ResetMask;
        }

        Array.Clear(_doorkeeper);
        _additions /= 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Counter(int index) => (int)((_table[index >> 4] >> ((index & 15) << 2)) & 0xF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(ulong h, ulong seed, ulong multiplier, int row)
    {
        ulong x = (h + seed) * multiplier;
        x ^= x >> 29;
        return (row * (_widthMask + 1)) + (int)(x & (ulong)_widthMask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Add(int index) => _table[index >> 4] += 1UL << ((index & 15) << 2);

    private bool DoorkeeperContains(ulong h)
    {
        int a = (int)(h & (ulong)_doorMask);
        int b = (int)((h >> 32) & (ulong)_doorMask);
        return (_doorkeeper[a >> 6] & (1UL << (a & 63))) != 0 && (_doorkeeper[b >> 6] & (1UL << (b & 63))) != 0;
    }

    private void DoorkeeperAdd(ulong h)
    {
        int a = (int)(h & (ulong)_doorMask);
        int b = (int)((h >> 32) & (ulong)_doorMask);
        _doorkeeper[a >> 6] |= 1UL << (a & 63);
        _doorkeeper[b >> 6] |= 1UL << (b & 63);
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
