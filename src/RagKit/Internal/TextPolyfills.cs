// net8.0 stand-ins for the .NET 9+ text and lookup APIs RagKit's matching and normalization use (the Lock and Convert
// ones are in the shared Internal/Polyfills.cs); the net10.0 build uses the real ones.
#if !NET9_0_OR_GREATER
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;

// In the root namespace so that the files using them need no extra using directive.
namespace RagKit;

/// <summary>A frozen set's span lookup for net8.0 (which has no alternate lookups): allocates the key.</summary>
internal readonly struct SpanSetLookup(FrozenSet<string> set)
{
    public bool Contains(ReadOnlySpan<char> key) => set.Contains(key.ToString());
}

/// <summary>A frozen dictionary's span lookup for net8.0 (which has no alternate lookups): allocates the key.</summary>
internal readonly struct SpanDictionaryLookup<TValue>(FrozenDictionary<string, TValue> dictionary)
{
    public bool TryGetValue(ReadOnlySpan<char> key, [MaybeNullWhen(false)] out TValue value) => dictionary.TryGetValue(key.ToString(), out value);
}

/// <summary>The span normalization methods of .NET 10, allocating.</summary>
internal static class NormalizationPolyfills
{
    public static bool IsNormalized(this ReadOnlySpan<char> source, NormalizationForm form) => source.ToString().IsNormalized(form);

    public static bool TryNormalize(this ReadOnlySpan<char> source, Span<char> destination, out int charsWritten, NormalizationForm form)
    {
        string normalized = source.ToString().Normalize(form);
        charsWritten = normalized.Length <= destination.Length ? normalized.Length : 0;
        return normalized.AsSpan().TryCopyTo(destination);
    }
}
#endif
