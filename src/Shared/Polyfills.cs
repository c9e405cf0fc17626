// net8.0 stand-ins for the .NET 9+ APIs the RagKit packages use; the net10.0 build uses the real ones. Linked into
// every package as Internal/Polyfills.cs (Directory.Build.props), so each assembly has its own internal copy.
#if !NET9_0_OR_GREATER
namespace System.Threading
{
    /// <summary>System.Threading.Lock for net8.0: <c>lock</c> on it takes a monitor.</summary>
    internal sealed class Lock
    {
        // Monitor on a private object: the compiler treats a System.Threading.Lock itself specially (lock calls EnterScope).
        private readonly object _monitor = new();

        public bool IsHeldByCurrentThread => Monitor.IsEntered(_monitor);

        public void Enter() => Monitor.Enter(_monitor);

        public bool TryEnter() => Monitor.TryEnter(_monitor);

        public void Exit() => Monitor.Exit(_monitor);

        public Scope EnterScope()
        {
            Monitor.Enter(_monitor);
            return new Scope(_monitor);
        }

        public readonly ref struct Scope(object monitor)
        {
            public void Dispose() => Monitor.Exit(monitor);
        }
    }
}

namespace RagKit
{
    /// <summary>.NET 9+ static methods for net8.0.</summary>
    internal static class ConvertPolyfills
    {
        extension(Convert)
        {
            public static string ToHexStringLower(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

            public static string ToHexStringLower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

            public static string ToHexStringLower(byte[] bytes, int offset, int length) => Convert.ToHexString(bytes, offset, length).ToLowerInvariant();
        }
    }
}
#endif
