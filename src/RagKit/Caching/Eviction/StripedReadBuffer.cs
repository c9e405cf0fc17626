using System.Numerics;
using System.Runtime.InteropServices;

namespace RagKit.Caching;

/// <summary>
/// Lossy, striped record of cache hits (as in Caffeine and BitFaster.Caching): each thread appends to one of a few
/// small ring buffers with a single compare-and-swap, and the owner drains them under its lock. A hit never waits
/// for another hit: when its stripe is contended the read is dropped. Reads of one thread are replayed in order;
/// reads of different threads between two drains are replayed stripe by stripe (approximate order).
/// </summary>
/// <typeparam name="T">The recorded item (a cache node).</typeparam>
internal sealed class StripedReadBuffer<T>
    where T : class
{
    /// <summary>Returned by <see cref="TryAdd"/> when the stripe is full.</summary>
    public const int Full = -1;

    /// <summary>Returned by <see cref="TryAdd"/> when another thread won the slot.</summary>
    public const int Contended = -2;

    /// <summary>Slots per stripe.</summary>
    public const int Capacity = 128;

    private readonly Stripe[] _stripes;
    private readonly int _mask;

    public StripedReadBuffer()
    {
        int stripes = (int)Math.Min(64, BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, Environment.ProcessorCount * 4)));
        _stripes = new Stripe[stripes];
        for (int i = 0; i < stripes; i++)
        {
            _stripes[i] = new Stripe();
        }

        _mask = stripes - 1;
    }

    /// <summary>Records a read on the calling thread's stripe; never blocks.</summary>
    /// <returns>How many reads the stripe holds now, or <see cref="Full"/> or <see cref="Contended"/>.</returns>
    public int TryAdd(T item) => _stripes[Environment.CurrentManagedThreadId & _mask].TryAdd(item);

    /// <summary>Hands every recorded read to <paramref name="consumer"/>. Single consumer: call under the owner's lock.</summary>
    /// <remarks>A struct consumer, so the replay is specialized and inlined (no delegate call per read).</remarks>
    public void Drain<TConsumer>(TConsumer consumer)
        where TConsumer : struct, IReadConsumer<T>
    {
        foreach (Stripe stripe in _stripes)
        {
            stripe.Drain(consumer);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private sealed class Stripe
    {
        private const int Mask = Capacity - 1;

        // Slots are structs: storing a reference into a T[] in shared generic code costs an array covariance check per
        // write (a helper call); a struct array element takes a plain store.
        private readonly Slot[] _items = new Slot[Capacity];
#pragma warning disable CS0169 // padding: keeps the producers' tail off the consumer's head cache line
        private long _p1, _p2, _p3, _p4, _p5, _p6, _p7;
#pragma warning restore CS0169
        private long _head;
#pragma warning disable CS0169
        private long _q1, _q2, _q3, _q4, _q5, _q6, _q7;
#pragma warning restore CS0169
        private long _tail;

        public int TryAdd(T item)
        {
            long tail = Volatile.Read(ref _tail);
            long size = tail - Volatile.Read(ref _head);
            if (size >= Capacity)
            {
                return Full;
            }

            if (Interlocked.CompareExchange(ref _tail, tail + 1, tail) != tail)
            {
                return Contended;
            }

            Volatile.Write(ref _items[(int)(tail & Mask)].Item, item);
            return (int)size + 1;
        }

        public void Drain<TConsumer>(TConsumer consumer)
            where TConsumer : struct, IReadConsumer<T>
        {
            long head = _head;
            long tail = Volatile.Read(ref _tail);
            while (head < tail)
            {
                int i = (int)(head & Mask);
                T? item = Volatile.Read(ref _items[i].Item);
                if (item is null)
                {
                    break; // a producer claimed the slot but has not written it yet; the next drain takes it
                }

                _items[i].Item = null;
                head++;
                consumer.Apply(item);
            }

            Volatile.Write(ref _head, head);
        }
    }

    private struct Slot
    {
        public T? Item;
    }
}
