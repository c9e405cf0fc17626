using System.Buffers;
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

    /// <summary>Prefixes that make an antonym of a word (un-, de-, dis-, non-).</summary>
    internal static readonly string[] Prefixes = ["un", "de", "dis", "non"];

    /// <summary>Guards that are on (bit flags: 1 numbers, 2 antonyms, 4 negation, 8 word order).</summary>
    internal static int Enabled = 15;

    internal static readonly FrozenSet<string> Negations = FrozenSet.ToFrozenSet(
    [
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "cannot", "can't", "cant",
        "don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "aren't", "arent", "wasn't", "wasnt",
        "weren't", "werent", "won't", "wont", "wouldn't", "wouldnt", "shouldn't", "shouldnt", "couldn't", "couldnt",
        "haven't", "havent", "hasn't", "hasnt", "hadn't", "hadnt", "without", "unable", "fail", "failed", "fails",
    ], StringComparer.Ordinal);

    internal static readonly FrozenSet<string> Stopwords = FrozenSet.ToFrozenSet(
    [
        "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "from", "and", "or", "but", "is", "are",
        "was", "were", "be", "been", "it", "its", "this", "that", "as", "i", "my", "me", "you", "your", "we", "our",
        "he", "his", "she", "her", "they", "their", "them", "do", "does", "did", "can", "could", "will", "would",
        "should", "how", "what", "when", "where", "why", "which", "who", "there", "have", "has", "had", "if", "so",
        "also", "into", "after", "before", "about", "than", "then", "s",
    ], StringComparer.Ordinal);

    internal static readonly FrozenSet<string> Months = FrozenSet.ToFrozenSet(
    [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ], StringComparer.Ordinal);

    internal static readonly FrozenSet<string> Weekdays = FrozenSet.ToFrozenSet(
    [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow", "yesterday",
    ], StringComparer.Ordinal);

    internal static readonly FrozenDictionary<string, string> Currencies = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["dollar"] = "usd", ["dollars"] = "usd", ["usd"] = "usd", ["$"] = "usd",
        ["euro"] = "eur", ["euros"] = "eur", ["eur"] = "eur", ["€"] = "eur",
        ["pound"] = "gbp", ["pounds"] = "gbp", ["gbp"] = "gbp", ["£"] = "gbp", ["sterling"] = "gbp",
        ["yen"] = "jpy", ["jpy"] = "jpy", ["¥"] = "jpy", ["franc"] = "chf", ["francs"] = "chf", ["chf"] = "chf",
        ["rupee"] = "inr", ["rupees"] = "inr", ["inr"] = "inr", ["yuan"] = "cny", ["cny"] = "cny",
        ["bitcoin"] = "btc", ["btc"] = "btc", ["peso"] = "mxn", ["pesos"] = "mxn",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    internal static readonly FrozenDictionary<string, int> NumberWords = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["zero"] = 0, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7,
        ["eight"] = 8, ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["fifteen"] = 15, ["twenty"] = 20,
        ["thirty"] = 30, ["fifty"] = 50, ["hundred"] = 100, ["thousand"] = 1000, ["million"] = 1_000_000,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Ordinal words with their value; they compare equal to digit ordinals ("first" = "1st").</summary>
    internal static readonly FrozenDictionary<string, int> Ordinals = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["first"] = 1, ["second"] = 2, ["third"] = 3, ["fourth"] = 4, ["fifth"] = 5, ["sixth"] = 6, ["seventh"] = 7,
        ["eighth"] = 8, ["ninth"] = 9, ["tenth"] = 10, ["eleventh"] = 11, ["twelfth"] = 12, ["twentieth"] = 20,
        ["hundredth"] = 100, ["thousandth"] = 1000, ["millionth"] = 1_000_000,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Frequency and quantity words by class (1 always / all, 2 never / none, 3 sometimes / some / ever, 4 often /
    /// usually, 5 rarely / seldom): two questions that use different classes ask different things ("always" /
    /// "sometimes"), and the words are left out of the content-word overlap so short questions still reach it.
    /// </summary>
    internal static readonly FrozenDictionary<string, int> Polarity = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["always"] = 1, ["all"] = 1, ["every"] = 1, ["everything"] = 1, ["everyone"] = 1, ["everybody"] = 1, ["everywhere"] = 1,
        ["forever"] = 1, ["constantly"] = 1,
        ["never"] = 2, ["none"] = 2, ["nothing"] = 2, ["nobody"] = 2, ["nowhere"] = 2,
        ["sometimes"] = 3, ["occasionally"] = 3, ["ever"] = 3, ["some"] = 3, ["someone"] = 3, ["somebody"] = 3,
        ["something"] = 3, ["somewhere"] = 3,
        ["any"] = 3, ["anyone"] = 3, ["anybody"] = 3, ["anything"] = 3, ["anywhere"] = 3,
        ["often"] = 4, ["frequently"] = 4, ["usually"] = 4, ["generally"] = 4, ["mostly"] = 4, ["regularly"] = 4,
        ["rarely"] = 5, ["seldom"] = 5, ["hardly"] = 5, ["barely"] = 5, ["scarcely"] = 5,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Verbs that negate the action they replace ("what should i eat" / "what should i avoid"): a question that differs
    /// from the other by exactly one content word, and that word is one of these on one side, asks the opposite.
    /// Words that are also ordinary paraphrases in support questions (stop = cancel, reject = decline) are left out.
    /// </summary>
    internal static readonly FrozenSet<string> NegatingVerbs = FrozenSet.ToFrozenSet(
    [
        "avoid", "avoids", "avoided", "avoiding", "skip", "skips", "skipping", "prevent", "prevents", "prevented",
        "refrain", "forbid", "forbidden", "prohibit", "prohibited", "ban", "banned", "ignore", "ignored",
    ], StringComparer.Ordinal);

    /// <summary>
    /// Relation words whose two sides carry roles: "from A to B" / "from B to A", "convert X to Y" / "Y to X". Symmetric
    /// ones (and, or, between) are left out.
    /// </summary>
    internal static readonly FrozenSet<string> Relations = FrozenSet.ToFrozenSet(
    [
        "to", "from", "into", "onto", "than", "vs", "versus", "over", "against", "for", "by", "via", "toward", "towards",
        "per", "of", "with", "at", "in", "on", "before", "after", "above", "below", "under", "beat", "beats",
    ], StringComparer.Ordinal);

    /// <summary>
    /// Antonym pairs: a hand list of banking and product words plus WordNet 3.0's direct antonyms with inflections
    /// (embedded resource Antonyms.WordNet.txt). Pairs with a negation word ("ever" / "never") are left to the negation
    /// and polarity checks, so an antonym never cancels against its own negation.
    /// </summary>
    internal static readonly FrozenDictionary<string, string[]> Antonyms = BuildAntonyms(wordNet: true);

    /// <summary>
    /// WordNet 3.0's indirect antonymy of adjectives (embedded resource Antonyms.WordNetClusters.txt): each adjective
    /// head with an antonym head ({loud} / {soft}) forms a cluster with its satellites ({noisy, ...}; {quiet, ...}), and
    /// every word of one cluster is an antonym of every word of the other ("loud" / "quiet", "warm" / "cold", "cheap" /
    /// "pricey"). Per word: the clusters it belongs to, +k on one side of pair k and -k on the other, sorted.
    /// </summary>
    internal static readonly FrozenDictionary<string, int[]> AntonymClusters = BuildAntonymClusters();

    private static FrozenDictionary<string, int[]> BuildAntonymClusters()
    {
        var clusters = new Dictionary<string, int[]>(StringComparer.Ordinal);
        using Stream? stream = typeof(QuestionGuards).Assembly.GetManifestResourceStream("RagKit.Caching.Antonyms.WordNetClusters.txt");
        if (stream is not null)
        {
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                if (line.Length == 0 || line[0] == '#' || space <= 0)
                {
                    continue;
                }

                string word = line[..space];
                if (!Negations.Contains(word) && !Polarity.ContainsKey(word))
                {
                    int[] sides = [.. line[(space + 1)..].Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture))];
                    Array.Sort(sides);
                    clusters[word] = sides;
                }
            }
        }

        return clusters.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The hand list alone (the guards before WordNet; the benchmark's reference implementation uses it).</summary>
    internal static readonly FrozenDictionary<string, string[]> HandListAntonyms = BuildAntonyms(wordNet: false);

    /// <summary>WordNet's antonym pairs ("a:b" lines, '#' comments) from the embedded resource.</summary>
    private static IEnumerable<string> WordNetAntonyms()
    {
        using Stream? stream = typeof(QuestionGuards).Assembly.GetManifestResourceStream("RagKit.Caching.Antonyms.WordNet.txt");
        if (stream is null)
        {
            yield break;
        }

        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                yield return line;
            }
        }
    }

    private static FrozenDictionary<string, string[]> BuildAntonyms(bool wordNet)
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
        foreach (string p in wordNet ? pairs.Concat(WordNetAntonyms()) : pairs)
        {
            int i = p.IndexOf(':', StringComparison.Ordinal);
            string a = p[..i];
            string b = p[(i + 1)..];
            if (i <= 0 || Negations.Contains(a) || Negations.Contains(b) || Polarity.ContainsKey(a) || Polarity.ContainsKey(b))
            {
                continue;
            }

            if (!map.TryGetValue(a, out List<string>? known) || !known.Contains(b))
            {
                Add(a, b);
                Add(b, a);
            }
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
    /// <remarks>
    /// Allocation-free for questions up to <see cref="Fast.MaxChars"/> characters and <see cref="Fast.MaxTokens"/> words;
    /// longer ones use pooled buffers; beyond <see cref="Fast.MaxLargeTokens"/> words the pair is not compatible.
    /// </remarks>
    public static bool Compatible(string question, string candidate)
    {
        return Fast.Check(question, candidate) == 0;
    }

    /// <summary>
    /// True when two texts (answers) mention the same numbers and ordinals, and the same months, weekdays and currencies
    /// where both mention any: the entity check of answer equivalence. Texts beyond <see cref="Fast.MaxLargeTokens"/>
    /// words are not the same.
    /// </summary>
    public static bool SameValues(string first, string second) => Fast.Check(first, second, valuesOnly: true) == 0;

    /// <summary>
    /// A fingerprint of the values a text (an answer) mentions: its numbers and ordinals, months, weekdays and currencies,
    /// leaving out the numbers of numbered lists ("1. Log in", "2) Open Orders": a generated answer's step count is not
    /// a value). Texts with equal fingerprints mention the same values; apart from list numbers it is stricter than
    /// <see cref="SameValues"/> (a month on one side only makes it differ). Computed once per stored answer, so comparing
    /// two answers compares two numbers instead of tokenizing two answers.
    /// </summary>
    public static ulong ValuesFingerprint(string text) => Fast.Fingerprint(text);

    /// <summary>The decision as a code (0 none, 1 number, 2 antonym, 3 negation, 4 order, 5 too many words to compare).</summary>
    internal static int CheckCode(string question, string candidate) => Fast.Check(question, candidate);

    /// <summary>The allocation-free implementation: tokens are ranges over a stack buffer, sets are scans.</summary>
    internal static class Fast
    {
        public const int MaxChars = 512;
        public const int MaxTokens = 96;
        private const int MaxToken = 48;

#if NET9_0_OR_GREATER
        private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> MonthsLookup = Months.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> WeekdaysLookup = Weekdays.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> CurrenciesLookup = Currencies.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> NumberWordsLookup = NumberWords.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, string[]>.AlternateLookup<ReadOnlySpan<char>> AntonymsLookup = Antonyms.GetAlternateLookup<ReadOnlySpan<char>>();

        private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> OrdinalsLookup = Ordinals.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> PolarityLookup = Polarity.GetAlternateLookup<ReadOnlySpan<char>>();
        private static readonly FrozenDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> ClustersLookup = AntonymClusters.GetAlternateLookup<ReadOnlySpan<char>>();
#else
        private static readonly SpanSetLookup MonthsLookup = new(Months);
        private static readonly SpanSetLookup WeekdaysLookup = new(Weekdays);
        private static readonly SpanDictionaryLookup<string> CurrenciesLookup = new(Currencies);
        private static readonly SpanDictionaryLookup<int> NumberWordsLookup = new(NumberWords);
        private static readonly SpanDictionaryLookup<string[]> AntonymsLookup = new(Antonyms);
        private static readonly SpanDictionaryLookup<int> OrdinalsLookup = new(Ordinals);
        private static readonly SpanDictionaryLookup<int> PolarityLookup = new(Polarity);
        private static readonly SpanDictionaryLookup<int[]> ClustersLookup = new(AntonymClusters);
#endif

        private const ushort NumberWord = 1, Month = 2, Weekday = 4, Currency = 8, Negation = 16, Stopword = 32, HasAntonyms = 64,
            PolarityWord = 128, Relation = 256, NegatingVerb = 512, InAntonymCluster = 1024;

        /// <summary>Every listed word with what it is: one lookup per token instead of one per list.</summary>
#if NET9_0_OR_GREATER
        private static readonly FrozenDictionary<string, ushort>.AlternateLookup<ReadOnlySpan<char>> Kinds = BuildKinds().GetAlternateLookup<ReadOnlySpan<char>>();
#else
        private static readonly SpanDictionaryLookup<ushort> Kinds = new(BuildKinds());
#endif

        private static FrozenDictionary<string, ushort> BuildKinds()
        {
            var d = new Dictionary<string, ushort>(StringComparer.Ordinal);
            void Mark(IEnumerable<string> words, ushort kind)
            {
                foreach (string w in words)
                {
                    d[w] = (ushort)(d.GetValueOrDefault(w) | kind);
                }
            }

            Mark(NumberWords.Keys, NumberWord);
            Mark(Ordinals.Keys, NumberWord);
            Mark(Polarity.Keys, PolarityWord);
            Mark(Relations, Relation);
            Mark(NegatingVerbs, NegatingVerb);
            Mark(Months, Month);
            Mark(Weekdays, Weekday);
            Mark(Currencies.Keys, Currency);
            Mark(Negations, Negation);
            Mark(Stopwords, Stopword);
            Mark(Antonyms.Keys, HasAntonyms);
            Mark(AntonymClusters.Keys, InAntonymCluster);
            return d.ToFrozenDictionary(StringComparer.Ordinal);
        }

        /// <summary>Inputs with more tokens than this are not compared word by word: the guard blocks (a miss, never a wrong hit).</summary>
        public const int MaxLargeTokens = 1024;

        public static int Check(string question, string candidate, bool valuesOnly = false)
        {
            if (question.Length <= MaxChars && candidate.Length <= MaxChars)
            {
                Span<char> bufA = stackalloc char[question.Length];
                Span<char> bufB = stackalloc char[candidate.Length];
                Span<Range> ta = stackalloc Range[MaxTokens];
                Span<Range> tb = stackalloc Range[MaxTokens];
                if (Tokenize(question, bufA, ta, out int na) && Tokenize(candidate, bufB, tb, out int nb))
                {
                    return Check(bufA, ta[..na], bufB, tb[..nb], valuesOnly);
                }
            }

            return CheckLarge(question, candidate, valuesOnly);
        }

        /// <summary>Long questions: the same decision on pooled buffers (rare; the pipeline caps questions at 2,048 characters by default).</summary>
        private static int CheckLarge(string question, string candidate, bool valuesOnly)
        {
            char[] bufA = ArrayPool<char>.Shared.Rent(question.Length);
            char[] bufB = ArrayPool<char>.Shared.Rent(candidate.Length);
            Range[] ta = ArrayPool<Range>.Shared.Rent(MaxLargeTokens);
            Range[] tb = ArrayPool<Range>.Shared.Rent(MaxLargeTokens);
            try
            {
                if (!Tokenize(question, bufA, ta.AsSpan(0, MaxLargeTokens), out int na) || !Tokenize(candidate, bufB, tb.AsSpan(0, MaxLargeTokens), out int nb))
                {
                    return 5;
                }

                return Check(bufA, ta.AsSpan(0, na), bufB, tb.AsSpan(0, nb), valuesOnly);
            }
            finally
            {
                ArrayPool<char>.Shared.Return(bufA);
                ArrayPool<char>.Shared.Return(bufB);
                ArrayPool<Range>.Shared.Return(ta);
                ArrayPool<Range>.Shared.Return(tb);
            }
        }

        private static int Check(ReadOnlySpan<char> bufA, ReadOnlySpan<Range> ta, ReadOnlySpan<char> bufB, ReadOnlySpan<Range> tb, bool valuesOnly)
        {
            int na = ta.Length;
            int nb = tb.Length;
            Span<ushort> fa = stackalloc ushort[na];
            Span<ushort> fb = stackalloc ushort[nb];
            var a = new Tokens(bufA, ta[..na], fa);
            var b = new Tokens(bufB, tb[..nb], fb);
            a.Classify(fa);
            b.Classify(fb);
            int enabled = valuesOnly ? 1 : Enabled;
            if ((enabled & 1) != 0 && (Differs(a, b, 0) || Differs(a, b, 1) || Differs(a, b, 2) || Differs(a, b, 3)))
            {
                return 1;
            }

            if ((enabled & 4) != 0 && PolarityDiffers(a, b) && ContentJaccard(a, b) >= NegationOverlap)
            {
                return 3;
            }

            bool negA = HasNegation(a);
            bool negB = HasNegation(b);
            if ((enabled & 2) != 0 && (OneWay(a, b) || OneWay(b, a)))
            {
                return negA == negB ? 2 : 0;
            }

            if ((enabled & 2) != 0 && NegatingSubstitution(a, b))
            {
                return 2;
            }

            if ((enabled & 4) != 0 && negA != negB && ContentJaccard(a, b) >= NegationOverlap)
            {
                return 3;
            }

            if ((enabled & 8) != 0 && (Swapped(a, b) || FrameSwapped(a, b)))
            {
                return 4;
            }

            return 0;
        }

        private readonly ref struct Tokens(ReadOnlySpan<char> text, ReadOnlySpan<Range> ranges, ReadOnlySpan<ushort> kinds)
        {
            private readonly ReadOnlySpan<char> _text = text;
            private readonly ReadOnlySpan<Range> _ranges = ranges;
            private readonly ReadOnlySpan<ushort> _kinds = kinds;

            /// <summary>What the token is (list membership bits).</summary>
            public ushort Kind(int i) => _kinds[i];

            public void Classify(Span<ushort> kinds)
            {
                for (int i = 0; i < _ranges.Length; i++)
                {
                    kinds[i] = Kinds.TryGetValue(this[i], out ushort k) ? k : (ushort)0;
                }

                // "no one" is "nobody": the "one" is a polarity word (class 2 in PolarityClasses), not a number or content.
                for (int i = 1; i < _ranges.Length; i++)
                {
                    if (this[i].SequenceEqual("one") && this[i - 1].SequenceEqual("no"))
                    {
                        kinds[i] = PolarityWord;
                    }
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

                    if (count == tokens.Length)
                    {
                        return false;
                    }

                    // A very long token (a URL, an id) is compared by its first MaxToken characters.
                    int from = p;
                    for (int k = start; k < Math.Min(i, start + MaxToken); k++)
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

                if ((from.Kind(i) & InAntonymCluster) != 0 && ClustersLookup.TryGetValue(x, out int[]? sides) && OpposedInClusters(sides, from, to))
                {
                    return true;
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

        /// <summary>A word of <paramref name="to"/> that <paramref name="from"/> lacks sits in the opposite cluster of one of <paramref name="sides"/>' antonym pairs.</summary>
        private static bool OpposedInClusters(int[] sides, in Tokens from, in Tokens to)
        {
            for (int j = 0; j < to.Count; j++)
            {
                if ((to.Kind(j) & InAntonymCluster) == 0 || from.Contains(to[j]) || !ClustersLookup.TryGetValue(to[j], out int[]? other))
                {
                    continue;
                }

                foreach (int k in sides)
                {
                    if (Array.BinarySearch(other, -k) >= 0)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool IsContent(in Tokens t, int i) =>
            (t.Kind(i) & (Negation | Stopword | PolarityWord)) == 0 && !t[i].EndsWith("n't", StringComparison.Ordinal);

        /// <summary>Exactly one content word differs on each side, and one of the two is a negating verb ("eat" / "avoid").</summary>
        private static bool NegatingSubstitution(in Tokens a, in Tokens b)
        {
            int onlyA = OnlyIn(a, b, out bool negatingA);
            if (onlyA != 1)
            {
                return false;
            }

            int onlyB = OnlyIn(b, a, out bool negatingB);
            return onlyB == 1 && negatingA != negatingB;
        }

        /// <summary>How many distinct content words of <paramref name="from"/> the other side lacks (stops counting at 2).</summary>
        private static int OnlyIn(in Tokens from, in Tokens to, out bool negating)
        {
            negating = false;
            int count = 0;
            for (int i = 0; i < from.Count && count < 2; i++)
            {
                if (IsContent(from, i) && !to.Contains(from[i]) && from.IsFirst(i))
                {
                    count++;
                    negating = (from.Kind(i) & NegatingVerb) != 0;
                }
            }

            return count;
        }

        /// <summary>Both questions use frequency or quantity words, and not of the same classes ("always" / "sometimes").</summary>
        private static bool PolarityDiffers(in Tokens a, in Tokens b)
        {
            int ca = PolarityClasses(a);
            int cb = PolarityClasses(b);
            return ca != 0 && cb != 0 && ca != cb;
        }

        private static int PolarityClasses(in Tokens t)
        {
            int classes = 0;
            for (int i = 0; i < t.Count; i++)
            {
                if ((t.Kind(i) & PolarityWord) != 0 && PolarityLookup.TryGetValue(t[i], out int c))
                {
                    classes |= 1 << c;
                }
                else if ((t.Kind(i) & PolarityWord) != 0)
                {
                    classes |= 1 << 2; // "no one" (Classify)
                }
            }

            return classes;
        }

        /// <summary>
        /// Two content-word runs (up to <see cref="SwapMaxBlock"/> words each) on either side of the same relation word
        /// trade places: "from paris to london" / "from london to paris", "convert usd to eur" / "eur to usd", also with an
        /// article after the relation word and a plural that moves with the role ("miles in a kilometer" / "kilometers in a
        /// mile"), since the eighth round also a possessive or demonstrative ("from my phone to my laptop"). A clause that moves with its relation word ("to london from paris") keeps its roles and passes.
        /// </summary>
        private static bool FrameSwapped(in Tokens a, in Tokens b)
        {
            for (int i = 1; i < a.Count - 1; i++)
            {
                if ((a.Kind(i) & Relation) == 0)
                {
                    continue;
                }

                int ra = IsDeterminer(a, i + 1) ? i + 2 : i + 1;
                for (int k = 1; k <= SwapMaxBlock && i - k >= 0 && IsRole(a, i - k); k++)
                {
                    for (int l = 1; l <= SwapMaxBlock && ra + l - 1 < a.Count && IsRole(a, ra + l - 1); l++)
                    {
                        if (k == l && StemRunEquals(a, i - k, a, ra, k))
                        {
                            continue;
                        }

                        // In b: Y (a's right run) before the same relation word, X (a's left run) after it.
                        for (int j = l; j < b.Count - 1; j++)
                        {
                            if (!b[j].SequenceEqual(a[i]))
                            {
                                continue;
                            }

                            int rb = IsDeterminer(b, j + 1) ? j + 2 : j + 1;
                            if (rb + k <= b.Count && StemRunEquals(b, j - l, a, ra, l) && StemRunEquals(b, rb, a, i - k, k))
                            {
                                return true;
                            }
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>An article, possessive or demonstrative before a role ("from my phone to my laptop").</summary>
        private static bool IsDeterminer(in Tokens t, int i)
        {
            if (i >= t.Count)
            {
                return false;
            }

            foreach (string d in Determiners)
            {
                if (t[i].SequenceEqual(d))
                {
                    return true;
                }
            }

            return false;
        }

        private static readonly string[] Determiners = ["a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "this", "that", "these", "those"];

        /// <summary>Runs of <paramref name="length"/> tokens that are equal up to a plural -s on any token.</summary>
        private static bool StemRunEquals(in Tokens x, int xs, in Tokens y, int ys, int length)
        {
            for (int k = 0; k < length; k++)
            {
                ReadOnlySpan<char> p = x[xs + k], q = y[ys + k];
                if (!p.SequenceEqual(q) && !(p.Length == q.Length + 1 && p[^1] == 's' && p[..^1].SequenceEqual(q))
                    && !(q.Length == p.Length + 1 && q[^1] == 's' && q[..^1].SequenceEqual(p)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A word that can fill a role around a relation word: a content word that is not itself a relation word.</summary>
        private static bool IsRole(in Tokens t, int i) => IsContent(t, i) && (t.Kind(i) & Relation) == 0;

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
        private static int Key(ReadOnlySpan<char> t, ushort flags, int kind, Span<char> key)
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
                        // Digit ordinals ("1st", "22nd") key as "#1", like the words ("first").
                        int n = 0;
                        bool ordinal = IsDigitOrdinal(t);
                        if (ordinal)
                        {
                            key[n++] = '#';
                            t = t[..^2];
                        }

                        foreach (char c in t)
                        {
                            if (c != ',')
                            {
                                key[n++] = c;
                            }
                        }

                        return n;
                    }

                    if ((flags & NumberWord) == 0)
                    {
                        return -1;
                    }

                    if (NumberWordsLookup.TryGetValue(t, out int value))
                    {
                        return value.TryFormat(key, out int w, default, System.Globalization.CultureInfo.InvariantCulture) ? w : -1;
                    }

                    if (OrdinalsLookup.TryGetValue(t, out int position))
                    {
                        key[0] = '#';
                        return position.TryFormat(key[1..], out int w, default, System.Globalization.CultureInfo.InvariantCulture) ? w + 1 : -1;
                    }

                    return -1;
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

        /// <summary>The sorted distinct value keys of the text, hashed (0 when it mentions none).</summary>
        public static ulong Fingerprint(string text)
        {
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            Span<char> key = stackalloc char[MaxToken + 1];
            List<string> tokens = QuestionGuards.Tokenize(WithoutFigures(WithoutListMarkers(text)));
            for (int i = 0; i < tokens.Count; i++)
            {
                string token = tokens[i];
                if (token.Length > MaxToken)
                {
                    continue;
                }

                ushort flags = Kinds.TryGetValue(token, out ushort k) ? k : (ushort)0;
                if ((flags & Month) != 0 && AmbiguousMonths.Contains(token) && !IsMonth(tokens, i))
                {
                    // "you may", "march on": a verb, not a month; "May 5", "the 5th of May" are months.
                    flags &= unchecked((ushort)~Month);
                }
                for (int kind = 0; kind < 4; kind++)
                {
                    int n = Key(token, flags, kind, key[1..]);
                    if (n >= 0)
                    {
                        key[0] = (char)('0' + kind);
                        keys.Add(new string(key[..(n + 1)]));
                    }
                }
            }

            if (keys.Count == 0)
            {
                return 0;
            }

            var hash = new System.IO.Hashing.XxHash3();
            foreach (string k in keys)
            {
                hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(k.AsSpan()));
                hash.Append([0, 0]);
            }

            return hash.GetCurrentHashAsUInt64();
        }

        /// <summary>Month names that are also common verbs: months in a fingerprint only where <see cref="IsMonth"/> says so.</summary>
        private static readonly FrozenSet<string> AmbiguousMonths = FrozenSet.ToFrozenSet(["may", "march", "mar"], StringComparer.Ordinal);

        /// <summary>Words before a month name that make it one ("in May", "until March").</summary>
        private static readonly FrozenSet<string> MonthPrepositions = FrozenSet.ToFrozenSet(
            ["in", "by", "until", "till", "since", "before", "after", "from", "during", "of", "on", "early", "late", "mid", "through"], StringComparer.Ordinal);

        /// <summary>
        /// A month, not a verb: a number (digits, a digit ordinal) right after the token or up to two tokens before it
        /// ("May 5", "the 5th of May"), or a preposition right before it ("in May").
        /// </summary>
        private static bool IsMonth(List<string> tokens, int i)
        {
            if (i > 0 && MonthPrepositions.Contains(tokens[i - 1]))
            {
                return true;
            }

            for (int j = Math.Max(0, i - 2); j <= Math.Min(tokens.Count - 1, i + 1); j++)
            {
                if (j != i && tokens[j].Length > 0 && char.IsAsciiDigit(tokens[j][0]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The text without figures of speech that look like values: "24/7" (always) and an ordinal word that opens a
        /// clause with a comma ("First, log in": the order of the steps, not a value).
        /// </summary>
        private static string WithoutFigures(string text)
        {
            System.Text.StringBuilder? sb = null;
            int copied = 0;
            for (int i = 0; i < text.Length; i++)
            {
                int end = -1;
                if (text[i] == '2' && string.CompareOrdinal(text, i, "24/7", 0, 4) == 0 && (i == 0 || !char.IsLetterOrDigit(text[i - 1]))
                    && (i + 4 == text.Length || !char.IsLetterOrDigit(text[i + 4])))
                {
                    end = i + 4;
                }
                else if (char.IsLetter(text[i]) && (i == 0 || !char.IsLetterOrDigit(text[i - 1])))
                {
                    int w = i;
                    while (w < text.Length && char.IsLetter(text[w]))
                    {
                        w++;
                    }

                    if (w < text.Length && text[w] == ',' && Ordinals.ContainsKey(text.Substring(i, w - i).ToLowerInvariant()))
                    {
                        end = w;
                    }

                    if (end < 0)
                    {
                        i = w - 1;
                        continue;
                    }
                }

                if (end > 0)
                {
                    sb ??= new System.Text.StringBuilder(text.Length);
                    sb.Append(text, copied, i - copied).Append(' ');
                    copied = end;
                    i = end - 1;
                }
            }

            return sb is null ? text : sb.Append(text, copied, text.Length - copied).ToString();
        }

        /// <summary>
        /// The text without the numbers of numbered lists ("1. Log in", "2) Open Orders"): a generated answer's step
        /// numbers say how many steps it wrote, not which order or amount it is about.
        /// </summary>
        private static string WithoutListMarkers(string text)
        {
            System.Text.StringBuilder? sb = null;
            int lineStart = 0;
            for (int i = 0; i <= text.Length; i++)
            {
                if (i < text.Length && text[i] != '\n')
                {
                    continue;
                }

                int p = lineStart;
                while (p < i && char.IsWhiteSpace(text[p]))
                {
                    p++;
                }

                int digits = p;
                while (digits < i && char.IsAsciiDigit(text[digits]))
                {
                    digits++;
                }

                bool marker = digits > p && digits - p <= 2 && digits < i && text[digits] is '.' or ')';
                if (marker)
                {
                    sb ??= new System.Text.StringBuilder(text, 0, lineStart, text.Length);
                    sb.Append(text, digits + 1, i - digits - 1);
                }
                else
                {
                    sb?.Append(text, lineStart, i - lineStart);
                }

                if (i < text.Length)
                {
                    sb?.Append('\n');
                }

                lineStart = i + 1;
            }

            return sb?.ToString() ?? text;
        }

        /// <summary>"1st", "2nd", "3rd", "4th": digits and an ordinal suffix.</summary>
        private static bool IsDigitOrdinal(ReadOnlySpan<char> t)
        {
            if (t.Length < 3 || !char.IsAsciiDigit(t[^3]))
            {
                return false;
            }

            ReadOnlySpan<char> suffix = t[^2..];
            return suffix is "st" or "nd" or "rd" or "th";
        }

        /// <summary>
        /// The sets of values of the kind differ: for numbers and ordinals also when only one side has any ("withdraw 100"
        /// / "withdraw cash"); months, weekdays and currencies only when both sides mention some.
        /// </summary>
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

            bool compared = kind == 0 ? anyA || anyB : anyA && anyB;
            return compared && (!Covered(a, b, kind) || !Covered(b, a, kind));
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

    /// <summary>Words of a question as the reference guards and conversation scope see them (lower case, currency symbols as tokens).</summary>
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
