using System.Numerics;
using System.Runtime.InteropServices;

namespace RagKit.Caching;

/// <summary>
/// Lossy, striped record of cache hits (as in Caffeine and BitFaster.Caching): each thread appends to one of a few
/// small ring buffers with a single compare-and-swap, and the owner drains them under its lock. A hit never waits:
/// when its stripe is contended the read is dropped; when it is full the caller drains (if the lock is free).
/// Each read carries a monotonic stamp so a drain replays reads from several stripes in the order they happened.
/// </summary>
/// <typeparam name="T">The recorded item (a cache node).</typeparam>
internal sealed class StripedReadBuffer<T>
    where T : class
{
    private readonly Stripe[] _stripes;
    private readonly int _mask;
    private readonly long[] _sortStamps;
    private readonly T[] _sortItems;

    public StripedReadBuffer()
    {
        int stripes = (int)Math.Min(64, BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, Environment.ProcessorCount * 4)));
        _stripes = new Stripe[stripes];
        for (int i = 0; i < stripes; i++)
        {
            _stripes[i] = new Stripe();
        }

        _mask = stripes - 1;
        _sortStamps = new long[stripes * Stripe.Capacity];
        _sortItems = new T[stripes * Stripe.Capacity];
    }

    public enum AddResult
    {
        Success,
        Full,
        Contended,
    }

    /// <summary>Records a read on the calling thread's stripe; never blocks.</summary>
    public AddResult TryAdd(T item, long stamp) => _stripes[Environment.CurrentManagedThreadId & _mask].TryAdd(item, stamp);

    /// <summary>
    /// Hands every recorded read to <paramref name="apply"/>, oldest first. Single consumer: call under the owner's lock.
    /// </summary>
    public void Drain<TState>(TState state, Action<TState, T> apply)
    {
        int n = 0;
        int nonEmpty = 0;
        foreach (Stripe stripe in _stripes)
        {
            int before = n;
            n = stripe.DrainTo(_sortStamps, _sortItems, n);
            if (n > before)
            {
                nonEmpty++;
            }
        }

        if (n == 0)
        {
            return;
        }

        if (nonEmpty > 1)
        {
            // Reads of one stripe are already in order; interleave stripes by their stamps.
            Array.Sort(_sortStamps, _sortItems, 0, n);
        }

        for (int i = 0; i < n; i++)
        {
            apply(state, _sortItems[i]);
            _sortItems[i] = null!;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private sealed class Stripe
    {
        public const int Capacity = 32;
        private const int Mask = Capacity - 1;

        private readonly T?[] _items = new T?[Capacity];
        private readonly long[] _stamps = new long[Capacity];
#pragma warning disable CS0169, IDE0051 // padding: keeps the producers' tail off the consumer's head cache line
        private long _p1, _p2, _p3, _p4, _p5, _p6, _p7;
#pragma warning restore CS0169, IDE0051
        private long _head;
#pragma warning disable CS0169, IDE0051
        private long _q1, _q2, _q3, _q4, _q5, _q6, _q7;
#pragma warning restore CS0169, IDE0051
        private long _tail;

        public AddResult TryAdd(T item, long stamp)
        {
            long tail = Volatile.Read(ref _tail);
            if (tail - Volatile.Read(ref _head) >= Capacity)
            {
                return AddResult.Full;
            }

            if (Interlocked.CompareExchange(ref _tail, tail + 1, tail) != tail)
            {
                return AddResult.Contended;
            }

            int i = (int)(tail & Mask);
            _stamps[i] = stamp;
            Volatile.Write(ref _items[i], item);
            return AddResult.Success;
        }

        public int DrainTo(long[] stamps, T[] items, int n)
        {
            long head = _head;
            long tail = Volatile.Read(ref _tail);
            while (head < tail)
            {
                int i = (int)(head & Mask);
                T? item = Volatile.Read(ref _items[i]);
                if (item is null)
                {
                    break; // a producer claimed the slot but has not written it yet; the next drain takes it
                }

                stamps[n] = _stamps[i];
                items[n++] = item;
                _items[i] = null;
                head++;
            }

            Volatile.Write(ref _head, head);
            return n;
        }
    }
}
