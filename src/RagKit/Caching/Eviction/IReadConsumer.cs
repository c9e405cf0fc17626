using System.Numerics;
using System.Runtime.InteropServices;

namespace RagKit.Caching;

/// <summary>Receives the reads <see cref="StripedReadBuffer{T}.Drain"/> replays.</summary>
/// <typeparam name="T">The recorded item.</typeparam>
internal interface IReadConsumer<in T>
{
    /// <summary>Replays one read.</summary>
    void Apply(T item);
}
