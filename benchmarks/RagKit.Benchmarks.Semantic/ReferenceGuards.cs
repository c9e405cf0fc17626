using RagKit.Caching;

namespace RagKit.Benchmarks.Semantic;

/// <summary>
/// The first, allocating implementation of the lexical guards, kept here (not in the library) as the reference that
/// `--check-guards` compares the shipped allocation-free <see cref="QuestionGuards"/> with, and for `--guards`.
/// </summary>
internal static class ReferenceGuards
{
    /// <summary>The name of the guard that blocks the pair, or null when none does.</summary>
    public static string? Check(string question, string candidate)
    {
        List<string> a = QuestionGuards.Tokenize(question);
        List<string> b = QuestionGuards.Tokenize(candidate);
        var setA = new HashSet<string>(a, StringComparer.Ordinal);
        var setB = new HashSet<string>(b, StringComparer.Ordinal);
        int enabled = QuestionGuards.Enabled;

        if ((enabled & 1) != 0 && (Differs(setA, setB, NumberKey) || Differs(setA, setB, MonthKey) || Differs(setA, setB, WeekdayKey) || Differs(setA, setB, CurrencyKey)))
        {
            return "number";
        }

        bool negA = setA.Overlaps(QuestionGuards.Negations) || HasNtSuffix(setA);
        bool negB = setB.Overlaps(QuestionGuards.Negations) || HasNtSuffix(setB);
        bool antonym = (enabled & 2) != 0 && HasAntonym(setA, setB);
        if (antonym)
        {
            // "unable" / "not able": an antonym and a one-sided negation cancel out.
            return negA == negB ? "antonym" : null;
        }

        if ((enabled & 4) != 0 && negA != negB && ContentJaccard(setA, setB) >= QuestionGuards.NegationOverlap)
        {
            return "negation";
        }

        if ((enabled & 8) != 0 && Swapped(a, b, setA, setB))
        {
            return "order";
        }

        return null;
    }


    /// <summary>A word of one side only whose antonym (listed, or the word with un-/de-/dis-/non-) is on the other side only.</summary>
    private static bool HasAntonym(HashSet<string> setA, HashSet<string> setB) => OneWay(setA, setB) || OneWay(setB, setA);

    private static bool OneWay(HashSet<string> from, HashSet<string> to)
    {
        foreach (string x in from)
        {
            if (to.Contains(x))
            {
                continue;
            }

            if (QuestionGuards.HandListAntonyms.TryGetValue(x, out string[]? opposites))
            {
                foreach (string y in opposites)
                {
                    if (to.Contains(y) && !from.Contains(y))
                    {
                        return true;
                    }
                }
            }

            if (x.Length < 4)
            {
                continue;
            }

            foreach (string prefix in QuestionGuards.Prefixes)
            {
                string y = prefix + x;
                if (to.Contains(y) && !from.Contains(y))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasNtSuffix(HashSet<string> set)
    {
        foreach (string s in set)
        {
            if (s.EndsWith("n't", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public static double ContentJaccard(string a, string b) =>
        ContentJaccard(new HashSet<string>(QuestionGuards.Tokenize(a), StringComparer.Ordinal), new HashSet<string>(QuestionGuards.Tokenize(b), StringComparer.Ordinal));

    private static double ContentJaccard(HashSet<string> a, HashSet<string> b)
    {
        int common = 0;
        int union = 0;
        foreach (string s in a)
        {
            if (QuestionGuards.Negations.Contains(s) || QuestionGuards.Stopwords.Contains(s) || s.EndsWith("n't", StringComparison.Ordinal))
            {
                continue;
            }

            union++;
            if (b.Contains(s))
            {
                common++;
            }
        }

        foreach (string s in b)
        {
            if (!QuestionGuards.Negations.Contains(s) && !QuestionGuards.Stopwords.Contains(s) && !s.EndsWith("n't", StringComparison.Ordinal) && !a.Contains(s))
            {
                union++;
            }
        }

        return union == 0 ? 1.0 : (double)common / union;
    }

    private static string? NumberKey(string t)
    {
        if (t.Length > 0 && char.IsAsciiDigit(t[0]))
        {
            return t.Replace(",", string.Empty, StringComparison.Ordinal);
        }

        return QuestionGuards.NumberWords.TryGetValue(t, out int n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static string? MonthKey(string t) => QuestionGuards.Months.Contains(t) ? t[..3] : null;

    private static string? WeekdayKey(string t) => QuestionGuards.Weekdays.Contains(t) ? t : null;

    private static string? CurrencyKey(string t) => QuestionGuards.Currencies.TryGetValue(t, out string? c) ? c : null;

    /// <summary>Both sides mention values of the kind and the values differ.</summary>
    private static bool Differs(HashSet<string> a, HashSet<string> b, Func<string, string?> key)
    {
        HashSet<string>? ka = null;
        foreach (string t in a)
        {
            if (key(t) is { } k)
            {
                (ka ??= new HashSet<string>(StringComparer.Ordinal)).Add(k);
            }
        }

        if (ka is null)
        {
            return false;
        }

        HashSet<string>? kb = null;
        foreach (string t in b)
        {
            if (key(t) is { } k)
            {
                (kb ??= new HashSet<string>(StringComparer.Ordinal)).Add(k);
            }
        }

        return kb is not null && !ka.SetEquals(kb);
    }

    /// <summary>
    /// Role swap ("flights from paris to london" / "from london to paris", PAWS-style word swaps): the content words
    /// of the question are cut into blocks that appear contiguously in the candidate; a swap exchanges two short
    /// blocks around a block that stays between them (block order a, b, c becomes c, b, a), while a paraphrase that
    /// moves a clause only exchanges neighbouring blocks.
    /// </summary>
    private static bool Swapped(List<string> a, List<string> b, HashSet<string> setA, HashSet<string> setB)
    {
        Span<int> posB = stackalloc int[Math.Min(a.Count, 256)];
        Span<bool> used = stackalloc bool[Math.Min(b.Count, 256)];
        int m = 0;
        var contentB = new List<int>(b.Count);
        for (int j = 0; j < b.Count && j < used.Length; j++)
        {
            if (!QuestionGuards.Stopwords.Contains(b[j]) && setA.Contains(b[j]))
            {
                contentB.Add(j);
            }
        }

        // Rank of each shared content word in b (stopwords and words on one side only are ignored).
        for (int i = 0; i < a.Count && m < posB.Length; i++)
        {
            if (QuestionGuards.Stopwords.Contains(a[i]) || !setB.Contains(a[i]))
            {
                continue;
            }

            for (int r = 0; r < contentB.Count; r++)
            {
                int j = contentB[r];
                if (!used[j] && string.Equals(b[j], a[i], StringComparison.Ordinal))
                {
                    used[j] = true;
                    posB[m++] = r;
                    break;
                }
            }
        }

        if (m < 3)
        {
            return false;
        }

        // Blocks: maximal runs with consecutive ranks.
        Span<int> blockStart = stackalloc int[m];
        Span<int> blockLength = stackalloc int[m];
        int blocks = 0;
        for (int k = 0; k < m; k++)
        {
            if (k > 0 && posB[k] == posB[k - 1] + 1)
            {
                blockLength[blocks - 1]++;
            }
            else
            {
                blockStart[blocks] = posB[k];
                blockLength[blocks] = 1;
                blocks++;
            }
        }

        // A decreasing triple of blocks whose outer two are short: x ... y ... z in a, z ... y ... x in b.
        for (int x = 0; x < blocks; x++)
        {
            if (blockLength[x] > QuestionGuards.SwapMaxBlock)
            {
                continue;
            }

            for (int z = x + 2; z < blocks; z++)
            {
                if (blockLength[z] > QuestionGuards.SwapMaxBlock || blockStart[z] >= blockStart[x])
                {
                    continue;
                }

                for (int y = x + 1; y < z; y++)
                {
                    if (blockStart[y] < blockStart[x] && blockStart[y] > blockStart[z])
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

}
