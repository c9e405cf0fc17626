using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using RagKit.Internal;

namespace RagKit.Caching;

/// <summary>
/// Brings a question to the form the exact tier keys on: Unicode NFKC, lower case (invariant),
/// runs of white space folded to one space, and no leading or trailing white space or end punctuation.
/// </summary>
public static class QuestionNormalizer
{
    /// <summary>Normalizes into a new string.</summary>
    /// <exception cref="ArgumentException">The question is not valid UTF-16 (a lone surrogate).</exception>
    public static string Normalize(string question)
    {
        ArgumentNullException.ThrowIfNull(question);

        // Most questions do not grow under NFKC: try a small stack buffer before renting the worst case.
        if (question.Length <= 256)
        {
            Span<char> small = stackalloc char[question.Length + 16];
            if (TryNormalize(question, small, out int written))
            {
                return new string(small[..written]);
            }
        }

        char[] rented = ArrayPool<char>.Shared.Rent(MaxNormalizedLength(question.Length));
        try
        {
            int n = Normalize(question, rented);
            return new string(rented, 0, n);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The buffer size <see cref="Normalize(ReadOnlySpan{char}, Span{char})"/> needs for any input of this length:
    /// NFKC can expand UTF-16 text up to 18 times (Unicode UAX #15, "Stream-Safe Text Format"), plus slack.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputLength"/> is negative or too large.</exception>
    public static int MaxNormalizedLength(int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inputLength, (Array.MaxLength - 16) / MaxNfkcExpansion);
        return (inputLength * MaxNfkcExpansion) + 16;
    }

    /// <summary>Normalizes into <paramref name="destination"/> without allocating (for inputs in NFKC already, the usual case).</summary>
    /// <returns>The number of characters written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small for the normalized form
    /// (a buffer of <see cref="MaxNormalizedLength(int)"/> is always large enough), or the question is not valid
    /// UTF-16 (a lone surrogate).</exception>
    public static int Normalize(ReadOnlySpan<char> question, Span<char> destination)
    {
        if (!TryNormalize(question, destination, out int written))
        {
            throw new ArgumentException($"The destination holds {destination.Length} characters; the normalized question needs more (use MaxNormalizedLength).", nameof(destination));
        }

        return written;
    }

    /// <summary>Normalizes into <paramref name="destination"/>; false when it is too small.</summary>
    internal static bool TryNormalize(ReadOnlySpan<char> question, Span<char> destination, out int written)
    {
        written = 0;
        ReadOnlySpan<char> source = question;
        char[]? rented = null;
        try
        {
            // ASCII text is always valid and in NFKC; skipping the Unicode checks is the common, fast case.
            if (!System.Text.Ascii.IsValid(source))
            {
                if (!TextValidation.IsValidUtf16(source))
                {
                    throw new ArgumentException("The question is not valid UTF-16: it contains a lone surrogate.", nameof(question));
                }

                if (!source.IsNormalized(NormalizationForm.FormKC))
                {
                    rented = ArrayPool<char>.Shared.Rent(MaxNormalizedLength(source.Length));
                    if (source.TryNormalize(rented, out int nfkcLength, NormalizationForm.FormKC))
                    {
                        source = rented.AsSpan(0, nfkcLength);
                    }
                    else
                    {
                        // Cannot happen within the UAX #15 bound; the allocating path is the safe fallback.
                        ArrayPool<char>.Shared.Return(rented);
                        rented = null;
                        source = source.ToString().Normalize(NormalizationForm.FormKC);
                    }
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

                // A space and the character: both must fit.
                if (n + (pendingSpace ? 2 : 1) > destination.Length)
                {
                    return false;
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

            written = n;
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private const int MaxNfkcExpansion = 18;

    internal static ulong Hash(ReadOnlySpan<char> normalized) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(normalized));

    private static bool IsEndPunctuation(char c) => c is '?' or '.' or '!' or ' ' or '？' or '。' or '！';
}
