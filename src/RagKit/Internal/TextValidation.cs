namespace RagKit.Internal;

/// <summary>Checks that text survives a round trip through UTF-8 (files, Redis, gRPC) unchanged.</summary>
internal static class TextValidation
{
    /// <summary>True when <paramref name="text"/> holds no lone surrogate (valid UTF-16).</summary>
    public static bool IsValidUtf16(ReadOnlySpan<char> text)
    {
        // Vectorized search for the first surrogate; text without any is the common case.
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return true;
        }

        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> when <paramref name="value"/>
    /// holds a lone surrogate: it would be stored as U+FFFD, and two different names could then merge on disk.
    /// </summary>
    public static void ThrowIfInvalidUtf16(string value, string paramName, string what)
    {
        if (!IsValidUtf16(value))
        {
            throw new ArgumentException($"{what} is not valid UTF-16: it contains a lone surrogate.", paramName);
        }
    }
}
