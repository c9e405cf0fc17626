using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace RagKit.Caching;

/// <summary>
/// Brings a question to the form the exact tier keys on: Unicode NFKC, lower case (invariant),
/// runs of white space folded to one space, and no leading or trailing white space or end punctuation.
/// </summary>
public static class QuestionNormalizer
{
    /// <summary>Normalizes into a new string.</summary>
    public static string Normalize(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        char[]? rented = null;
        int max = MaxNormalizedLength(question.Length);
        Span<char> buffer = max <= 512 ? stackalloc char[max] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            int n = Normalize(question, buffer);
            return new string(buffer[..n]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The buffer size <see cref="Normalize(ReadOnlySpan{char}, Span{char})"/> needs for an input of this length.</summary>
    public static int MaxNormalizedLength(int inputLength) => (inputLength * 4) + 16;

    /// <summary>Normalizes into <paramref name="destination"/> without allocating (for inputs in NFKC already, the usual case).</summary>
    /// <returns>The number of characters written.</returns>
    public static int Normalize(ReadOnlySpan<char> question, Span<char> destination)
    {
        ReadOnlySpan<char> source = question;
        char[]? rented = null;
        try
        {
            // ASCII text is always in NFKC; skipping the Unicode check is the common, fast case.
            if (!System.Text.Ascii.IsValid(source) && !source.IsNormalized(NormalizationForm.FormKC))
            {
                rented = ArrayPool<char>.Shared.Rent(MaxNormalizedLength(source.Length));
                if (!source.TryNormalize(rented, out int written, NormalizationForm.FormKC))
                {
                    // Pathological expansion: fall back to the allocating path.
                    string s = source.ToString().Normalize(NormalizationForm.FormKC);
                    ArrayPool<char>.Shared.Return(rented);
                    rented = null;
                    source = s;
                }
                else
                {
                    source = rented.AsSpan(0, written);
                }
            }

            int n = 0;
            bool pendingSpace = false;
            foreach (char c in source)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = n > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    destination[n++] = ' ';
                    pendingSpace = false;
                }

                destination[n++] = c <= '\u007f' ? (char)(c | ((uint)(c - 'A') <= 'Z' - 'A' ? 0x20 : 0)) : char.ToLowerInvariant(c);
            }

            while (n > 0 && IsEndPunctuation(destination[n - 1]))
            {
                n--;
            }

            while (n > 0 && destination[n - 1] == ' ')
            {
                n--;
            }

            return n;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    internal static ulong Hash(ReadOnlySpan<char> normalized) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(normalized));

    private static bool IsEndPunctuation(char c) => c is '?' or '.' or '!' or ' ' or '？' or '。' or '！';
}
