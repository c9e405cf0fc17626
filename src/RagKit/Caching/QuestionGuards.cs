using System.Collections.Frozen;

namespace RagKit.Caching;

/// <summary>
/// Cheap lexical checks that block a semantic hit between near-identical questions with a different meaning.
/// Works on normalized (lower-cased) questions; a few microseconds per pair.
/// </summary>
internal static class QuestionGuards
{
    /// <summary>Longest block (in content words) whose exchange with another block counts as a swap of roles.</summary>
    internal static int SwapMaxBlock = 3;

    /// <summary>Jaccard overlap of content words above which a one-sided negation is taken as the opposite question.</summary>
    internal static double NegationOverlap = 0.6;

    /// <summary>Guards that are on (bit flags: 1 numbers, 2 antonyms, 4 negation, 8 word order).</summary>
    internal static int Enabled = 15;

    private static readonly FrozenSet<string> Negations = FrozenSet.ToFrozenSet(
    [
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "cannot", "can't", "cant",
        "don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt",
        "weren't", "werent", "won't", "wont", "wouldn't", "wouldnt", "shouldn't", "shouldnt", "couldn't", "couldnt",
        "haven't", "havent", "hasn't", "hasnt", "hadn't", "hadnt", "without", "unable", "fail", "failed", "fails",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> Stopwords = FrozenSet.ToFrozenSet(
    [
        "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "from", "and", "or", "but", "is", "are",
        "was", "were", "be", "been", "it", "its", "this", "that", "as", "i", "my", "me", "you", "your", "we", "our",
        "he", "his", "she", "her", "they", "their", "them", "do", "does", "did", "can", "could", "will", "would",
        "should", "how", "what", "when", "where", "why", "which", "who", "there", "have", "has", "had", "if", "so",
        "also", "into", "after", "before", "about", "than", "then", "s",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> Months = FrozenSet.ToFrozenSet(
    [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> Weekdays = FrozenSet.ToFrozenSet(
    [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow", "yesterday",
    ], StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> Currencies = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["dollar"] = "usd", ["dollars"] = "usd", ["usd"] = "usd", ["$"] = "usd",
        ["euro"] = "eur", ["euros"] = "eur", ["eur"] = "eur", ["€"] = "eur",
        ["pound"] = "gbp", ["pounds"] = "gbp", ["gbp"] = "gbp", ["£"] = "gbp", ["sterling"] = "gbp",
        ["yen"] = "jpy", ["jpy"] = "jpy", ["¥"] = "jpy", ["franc"] = "chf", ["francs"] = "chf", ["chf"] = "chf",
        ["rupee"] = "inr", ["rupees"] = "inr", ["inr"] = "inr", ["yuan"] = "cny", ["cny"] = "cny",
        ["bitcoin"] = "btc", ["btc"] = "btc", ["peso"] = "mxn", ["pesos"] = "mxn",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, int> NumberWords = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["zero"] = 0, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7,
        ["eight"] = 8, ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["fifteen"] = 15, ["twenty"] = 20,
        ["thirty"] = 30, ["fifty"] = 50, ["hundred"] = 100, ["thousand"] = 1000, ["million"] = 1_000_000,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string[]> Antonyms = BuildAntonyms();

    private static FrozenDictionary<string, string[]> BuildAntonyms()
    {
        string[] pairs =
        [
            "enable:disable", "enabled:disabled", "activate:deactivate", "activated:deactivated", "on:off",
            "lock:unlock", "locked:unlocked", "freeze:unfreeze", "frozen:unfrozen", "block:unblock", "blocked:unblocked",
            "increase:decrease", "raise:lower", "higher:lower", "high:low", "add:remove", "added:removed", "open:close",
            "opened:closed", "buy:sell", "bought:sold", "deposit:withdraw", "deposits:withdrawals", "deposit:withdrawal",
            "send:receive", "sent:received", "sending:receiving", "before:after", "more:less", "maximum:minimum",
            "max:min", "accept:decline", "accepted:declined", "approve:deny", "approved:denied", "allow:prevent",
            "start:stop", "start:end", "include:exclude", "import:export", "upload:download", "login:logout",
            "subscribe:unsubscribe", "encrypt:decrypt", "connect:disconnect", "install:uninstall", "show:hide",
            "win:lose", "gain:loss", "profit:loss", "above:below", "over:under", "early:late", "first:last",
            "cheap:expensive", "cheapest:most", "fast:slow", "faster:slower", "north:south", "east:west",
            "true:false", "inbound:outbound", "incoming:outgoing", "credit:debit", "join:leave",
            "hot:cold", "best:worst", "better:worse", "old:new", "oldest:newest", "older:newer", "left:right",
            "male:female", "men:women", "man:woman", "husband:wife", "boy:girl", "father:mother", "son:daughter",
            "up:down", "top:bottom", "pro:con", "win:loss", "legal:illegal", "possible:impossible", "valid:invalid",
            "refund:charge", "private:public", "internal:external", "minimum:maximum", "add:delete", "create:delete",
        ];
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string p in pairs)
        {
            int i = p.IndexOf(':', StringComparison.Ordinal);
            string a = p[..i];
            string b = p[(i + 1)..];
            Add(a, b);
            Add(b, a);
        }

        return map.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);

        void Add(string from, string to)
        {
            if (!map.TryGetValue(from, out List<string>? list))
            {
                map[from] = list = [];
            }

            list.Add(to);
        }
    }

    /// <summary>False when the two normalized questions look near-identical but mean different things.</summary>
    /// <remarks>Allocation-free for questions up to <see cref="Fast.MaxChars"/> characters and <see cref="Fast.MaxTokens"/> words.</remarks>
    public static bool Compatible(string question, string candidate)
    {
        int code = Fast.Check(question, candidate);
        return code < 0 ? Check(question, candidate) is null : code == 0;
    }

    /// <summary>Same decision as <see cref="Check"/> as a code (0 none, 1 number, 2 antonym, 3 negation, 4 order; -1 too long for the fast path).</summary>
    internal static int CheckCode(string question, string candidate) => Fast.Check(question, candidate);

    /// <summary>The allocation-free implementation of <see cref="Check"/>: tokens are ranges over a stack buffer, sets are scans.</summary>
    internal static class Fast
    {
        public const int MaxChars = 512;
        public const int MaxTokens = 96;
        private const int MaxToken = 48;

        private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> MonthsLookup = Months.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> WeekdaysLookup = Weekdays.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> CurrenciesLookup = Currencies.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> NumberWordsLookup = NumberWords.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, string[]>.AlternateLookup<ReadOnlySpan<char>> AntonymsLookup = Antonyms.GetAlternateLookup<ReadOnlySpan<char>>();

        private const byte NumberWord = 1, Month = 2, Weekday = 4, Currency = 8, Negation = 16, Stopword = 32, HasAntonyms = 64;

        /// <summary>Every listed word with what it is: one lookup per token instead of one per list.</summary>
        private static readonly FrozenDictionary<string, byte>.AlternateLookup<ReadOnlySpan<char>> Kinds = BuildKinds().GetAlternateLookup<ReadOnlySpan<char>>();

        private static FrozenDictionary<string, byte> BuildKinds()
        {
            var d = new Dictionary<string, byte>(StringComparer.Ordinal);
            void Mark(IEnumerable<string> words, byte kind)
            {
                foreach (string w in words)
                {
                    d[w] = (byte)(d.GetValueOrDefault(w) | kind);
                }
            }

            Mark(NumberWords.Keys, NumberWord);
            Mark(Months, Month);
            Mark(Weekdays, Weekday);
            Mark(Currencies.Keys, Currency);
            Mark(Negations, Negation);
            Mark(Stopwords, Stopword);
            Mark(Antonyms.Keys, HasAntonyms);
            return d.ToFrozenDictionary(StringComparer.Ordinal);
        }

        public static int Check(string question, string candidate)
        {
            if (question.Length > MaxChars || candidate.Length > MaxChars)
            {
                return -1;
            }

            Span<char> bufA = stackalloc char[question.Length];
            Span<char> bufB = stackalloc char[candidate.Length];
            Span<Range> ta = stackalloc Range[MaxTokens];
            Span<Range> tb = stackalloc Range[MaxTokens];
            if (!Tokenize(question, bufA, ta, out int na) || !Tokenize(candidate, bufB, tb, out int nb))
            {
                return -1;
            }

            Span<byte> fa = stackalloc byte[na];
            Span<byte> fb = stackalloc byte[nb];
            var a = new Tokens(bufA, ta[..na], fa);
            var b = new Tokens(bufB, tb[..nb], fb);
            a.Classify(fa);
            b.Classify(fb);
            int enabled = Enabled;
            if ((enabled & 1) != 0 && (Differs(a, b, 0) || Differs(a, b, 1) || Differs(a, b, 2) || Differs(a, b, 3)))
            {
                return 1;
            }

            bool negA = HasNegation(a);
            bool negB = HasNegation(b);
            if ((enabled & 2) != 0 && (OneWay(a, b) || OneWay(b, a)))
            {
                return negA == negB ? 2 : 0;
            }

            if ((enabled & 4) != 0 && negA != negB && ContentJaccard(a, b) >= NegationOverlap)
            {
                return 3;
            }

            if ((enabled & 8) != 0 && Swapped(a, b))
            {
                return 4;
            }

            return 0;
        }

        private readonly ref struct Tokens(ReadOnlySpan<char> text, ReadOnlySpan<Range> ranges, ReadOnlySpan<byte> kinds)
        {
            private readonly ReadOnlySpan<char> _text = text;
            private readonly ReadOnlySpan<Range> _ranges = ranges;
            private readonly ReadOnlySpan<byte> _kinds = kinds;

            /// <summary>What the token is (list membership bits).</summary>
            public byte Kind(int i) => _kinds[i];

            public void Classify(Span<byte> kinds)
            {
                for (int i = 0; i < _ranges.Length; i++)
                {
                    kinds[i] = Kinds.TryGetValue(this[i], out byte k) ? k : (byte)0;
                }
            }

            public int Count => _ranges.Length;

            public ReadOnlySpan<char> this[int i] => _text[_ranges[i]];

            public bool Contains(ReadOnlySpan<char> word)
            {
                for (int i = 0; i < _ranges.Length; i++)
                {
                    if (this[i].SequenceEqual(word))
                    {
                        return true;
                    }
                }

                return false;
            }

            public bool ContainsConcat(string prefix, ReadOnlySpan<char> word)
            {
                for (int i = 0; i < _ranges.Length; i++)
                {
                    ReadOnlySpan<char> t = this[i];
                    if (t.Length == prefix.Length + word.Length && t.StartsWith(prefix, StringComparison.Ordinal) && t[prefix.Length..].SequenceEqual(word))
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>True when token <paramref name="i"/> did not occur before (set semantics).</summary>
            public bool IsFirst(int i)
            {
                ReadOnlySpan<char> t = this[i];
                for (int j = 0; j < i; j++)
                {
                    if (this[j].SequenceEqual(t))
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        private static bool Tokenize(ReadOnlySpan<char> s, Span<char> buffer, Span<Range> tokens, out int count)
        {
            count = 0;
            int p = 0;
            int i = 0;
            while (i < s.Length)
            {
                char c = s[i];
                if (char.IsLetterOrDigit(c))
                {
                    int start = i;
                    while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '\'' || s[i] == '’'
                        || ((s[i] == '.' || s[i] == ',') && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]) && char.IsAsciiDigit(s[i - 1]))))
                    {
                        i++;
                    }

                    if (count == tokens.Length || i - start > MaxToken)
                    {
                        return false;
                    }

                    int from = p;
                    for (int k = start; k < i; k++)
                    {
                        char ch = s[k];
                        buffer[p++] = ch == '’' ? '\'' : char.ToLowerInvariant(ch);
                    }

                    tokens[count++] = new Range(from, p);
                }
                else
                {
                    if (c is '$' or '€' or '£' or '¥')
                    {
                        if (count == tokens.Length)
                        {
                            return false;
                        }

                        buffer[p] = c;
                        tokens[count++] = new Range(p, p + 1);
                        p++;
                    }

                    i++;
                }
            }

            return true;
        }

        private static bool HasNegation(in Tokens t)
        {
            for (int i = 0; i < t.Count; i++)
            {
                if ((t.Kind(i) & Negation) != 0 || t[i].EndsWith("n't", StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool OneWay(in Tokens from, in Tokens to)
        {
            for (int i = 0; i < from.Count; i++)
            {
                ReadOnlySpan<char> x = from[i];
                if (to.Contains(x))
                {
                    continue;
                }

                if ((from.Kind(i) & HasAntonyms) != 0 && AntonymsLookup.TryGetValue(x, out string[]? opposites))
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

                foreach (string prefix in Prefixes)
                {
                    if (to.ContainsConcat(prefix, x) && !from.ContainsConcat(prefix, x))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool IsContent(in Tokens t, int i) =>
            (t.Kind(i) & (Negation | Stopword)) == 0 && !t[i].EndsWith("n't", StringComparison.Ordinal);

        private static double ContentJaccard(in Tokens a, in Tokens b)
        {
            int common = 0;
            int union = 0;
            for (int i = 0; i < a.Count; i++)
            {
                if (!IsContent(a, i) || !a.IsFirst(i))
                {
                    continue;
                }

                union++;
                if (b.Contains(a[i]))
                {
                    common++;
                }
            }

            for (int i = 0; i < b.Count; i++)
            {
                if (IsContent(b, i) && !a.Contains(b[i]) && b.IsFirst(i))
                {
                    union++;
                }
            }

            return union == 0 ? 1.0 : (double)common / union;
        }

        /// <summary>Writes the token's key of the kind (0 number, 1 month, 2 weekday, 3 currency); -1 when it has none.</summary>
        private static int Key(ReadOnlySpan<char> t, byte flags, int kind, Span<char> key)
        {
            if (kind != 0 && (flags & (Month << (kind - 1))) == 0)
            {
                return -1;
            }

            switch (kind)
            {
                case 0:
                    if (t.Length > 0 && char.IsAsciiDigit(t[0]))
                    {
                        int n = 0;
                        foreach (char c in t)
                        {
                            if (c != ',')
                            {
                                key[n++] = c;
                            }
                        }

                        return n;
                    }

                    return (flags & NumberWord) != 0 && NumberWordsLookup.TryGetValue(t, out int value) && value.TryFormat(key, out int w, default, System.Globalization.CultureInfo.InvariantCulture) ? w : -1;
                case 1:
                    if (!MonthsLookup.Contains(t))
                    {
                        return -1;
                    }

                    t[..3].CopyTo(key);
                    return 3;
                case 2:
                    if (!WeekdaysLookup.Contains(t))
                    {
                        return -1;
                    }

                    t.CopyTo(key);
                    return t.Length;
                default:
                    if (!CurrenciesLookup.TryGetValue(t, out string? code))
                    {
                        return -1;
                    }

                    code.CopyTo(key);
                    return code.Length;
            }
        }

        /// <summary>Both sides mention values of the kind and the sets of values differ.</summary>
        private static bool Differs(in Tokens a, in Tokens b, int kind)
        {
            Span<char> k1 = stackalloc char[MaxToken];
            bool anyA = false;
            bool anyB = false;
            for (int i = 0; i < a.Count && !anyA; i++)
            {
                anyA = Key(a[i], a.Kind(i), kind, k1) >= 0;
            }

            for (int i = 0; i < b.Count && !anyB; i++)
            {
                anyB = Key(b[i], b.Kind(i), kind, k1) >= 0;
            }

            return anyA && anyB && (!Covered(a, b, kind) || !Covered(b, a, kind));
        }

        /// <summary>Every key of <paramref name="from"/> is a key of <paramref name="to"/>.</summary>
        private static bool Covered(in Tokens from, in Tokens to, int kind)
        {
            Span<char> k1 = stackalloc char[MaxToken];
            Span<char> k2 = stackalloc char[MaxToken];
            for (int i = 0; i < from.Count; i++)
            {
                int n1 = Key(from[i], from.Kind(i), kind, k1);
                if (n1 < 0)
                {
                    continue;
                }

                bool found = false;
                for (int j = 0; j < to.Count && !found; j++)
                {
                    int n2 = Key(to[j], to.Kind(j), kind, k2);
                    found = n2 >= 0 && k1[..n1].SequenceEqual(k2[..n2]);
                }

                if (!found)
                {
                    return false;
                }
            }

            return true;
        }

        private static bool Swapped(in Tokens a, in Tokens b)
        {
            Span<int> posB = stackalloc int[Math.Min(a.Count, 256)];
            Span<bool> used = stackalloc bool[Math.Min(b.Count, 256)];
            Span<int> contentB = stackalloc int[b.Count];
            int contentCount = 0;
            int m = 0;
            for (int j = 0; j < b.Count && j < used.Length; j++)
            {
                if ((b.Kind(j) & Stopword) == 0 && a.Contains(b[j]))
                {
                    contentB[contentCount++] = j;
                }
            }

            for (int i = 0; i < a.Count && m < posB.Length; i++)
            {
                if ((a.Kind(i) & Stopword) != 0 || !b.Contains(a[i]))
                {
                    continue;
                }

                for (int r = 0; r < contentCount; r++)
                {
                    int j = contentB[r];
                    if (!used[j] && b[j].SequenceEqual(a[i]))
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

            for (int x = 0; x < blocks; x++)
            {
                if (blockLength[x] > SwapMaxBlock)
                {
                    continue;
                }

                for (int z = x + 2; z < blocks; z++)
                {
                    if (blockLength[z] > SwapMaxBlock || blockStart[z] >= blockStart[x])
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

    /// <summary>The name of the guard that blocks the pair, or null when none does.</summary>
    internal static string? Check(string question, string candidate)
    {
        List<string> a = Tokenize(question);
        List<string> b = Tokenize(candidate);
        var setA = new HashSet<string>(a, StringComparer.Ordinal);
        var setB = new HashSet<string>(b, StringComparer.Ordinal);
        int enabled = Enabled;

        if ((enabled & 1) != 0 && (Differs(setA, setB, NumberKey) || Differs(setA, setB, MonthKey) || Differs(setA, setB, WeekdayKey) || Differs(setA, setB, CurrencyKey)))
        {
            return "number";
        }

        bool negA = setA.Overlaps(Negations) || HasNtSuffix(setA);
        bool negB = setB.Overlaps(Negations) || HasNtSuffix(setB);
        bool antonym = (enabled & 2) != 0 && HasAntonym(setA, setB);
        if (antonym)
        {
            // "unable" / "not able": an antonym and a one-sided negation cancel out.
            return negA == negB ? "antonym" : null;
        }

        if ((enabled & 4) != 0 && negA != negB && ContentJaccard(setA, setB) >= NegationOverlap)
        {
            return "negation";
        }

        if ((enabled & 8) != 0 && Swapped(a, b, setA, setB))
        {
            return "order";
        }

        return null;
    }

    private static readonly string[] Prefixes = ["un", "de", "dis", "non"];

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

            if (Antonyms.TryGetValue(x, out string[]? opposites))
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

            foreach (string prefix in Prefixes)
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

    internal static double ContentJaccard(string a, string b) =>
        ContentJaccard(new HashSet<string>(Tokenize(a), StringComparer.Ordinal), new HashSet<string>(Tokenize(b), StringComparer.Ordinal));

    private static double ContentJaccard(HashSet<string> a, HashSet<string> b)
    {
        int common = 0;
        int union = 0;
        foreach (string s in a)
        {
            if (Negations.Contains(s) || Stopwords.Contains(s) || s.EndsWith("n't", StringComparison.Ordinal))
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
            if (!Negations.Contains(s) && !Stopwords.Contains(s) && !s.EndsWith("n't", StringComparison.Ordinal) && !a.Contains(s))
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

        return NumberWords.TryGetValue(t, out int n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static string? MonthKey(string t) => Months.Contains(t) ? t[..3] : null;

    private static string? WeekdayKey(string t) => Weekdays.Contains(t) ? t : null;

    private static string? CurrencyKey(string t) => Currencies.TryGetValue(t, out string? c) ? c : null;

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
            if (!Stopwords.Contains(b[j]) && setA.Contains(b[j]))
            {
                contentB.Add(j);
            }
        }

        // Rank of each shared content word in b (stopwords and words on one side only are ignored).
        for (int i = 0; i < a.Count && m < posB.Length; i++)
        {
            if (Stopwords.Contains(a[i]) || !setB.Contains(a[i]))
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
            if (blockLength[x] > SwapMaxBlock)
            {
                continue;
            }

            for (int z = x + 2; z < blocks; z++)
            {
                if (blockLength[z] > SwapMaxBlock || blockStart[z] >= blockStart[x])
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

    internal static List<string> Tokenize(string s)
    {
        var tokens = new List<string>(16);
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsLetterOrDigit(c))
            {
                int start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '\'' || s[i] == '’'
                    || ((s[i] == '.' || s[i] == ',') && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]) && char.IsAsciiDigit(s[i - 1]))))
                {
                    i++;
                }

                tokens.Add(s[start..i].Replace('’', '\'').ToLowerInvariant());
            }
            else
            {
                if (c is '$' or '€' or '£' or '¥')
                {
                    tokens.Add(c.ToString());
                }

                i++;
            }
        }

        return tokens;
    }
}
