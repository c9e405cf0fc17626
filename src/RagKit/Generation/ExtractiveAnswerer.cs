using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using RagKit.Ingestion;
using RagKit.Retrieval;

namespace RagKit.Generation;

/// <summary>
/// The answerer used when no chat client is configured. It reads each retrieved chunk back into its blocks (prose
/// sentences, list items, table-row sentences, code), scores every block by the question words it contains (weighted
/// by how rare they are among the sources; a word found only in the block's breadcrumb or lead-in counts for less) and
/// by the similarity of its embedding to the question's, and quotes the best one or two without markup, citing them
/// 1..n in order. When even the best block scores too low, or answers the question only without its words that no
/// source contains, it answers "I don't know" (docs/extractive.md).
/// </summary>
internal static class ExtractiveAnswerer
{
    /// <summary>The start of every refusal; callers and tests look for it.</summary>
    public const string DontKnow = "I don't know";

    /// <summary>At most this many blocks are embedded per question.</summary>
    private const int MaxEmbeddedBlocks = 12;

    /// <summary>Blocks are embedded by at most this many characters (about a hundred tokens).</summary>
    private const int MaxEmbeddedChars = 400;

    /// <summary>A longer heading is a sentence, not a label to lead a quote with.</summary>
    private const int MaxLeadingHeading = 80;

    /// <summary>A cause or a resolution paragraph up to this long is quoted whole.</summary>
    private const int MaxRoleParagraph = 300;

    /// <summary>A longer paragraph before a command is prose of its own, not what the command does.</summary>
    private const int MaxDescription = 200;

    /// <summary>Code of more lines is a program or a listing, not a command to quote for "How do I ...?".</summary>
    private const int MaxCommandLines = 3;

    private const string NotInSources = DontKnow + ": the sources do not answer this question.";

    /// <summary>The harness's --trace: the best blocks of every answer with their scores.</summary>
    internal static Action<string>? Trace { get; set; }

    /// <summary>The numbers it decides with; the harness replaces them while it calibrates.</summary>
    internal static ExtractiveCalibration Calibration { get; set; } = ExtractiveCalibration.Default;

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "to", "of", "and", "or", "in", "on", "for", "with",
        "what", "which", "who", "whom", "how", "why", "when", "where", "do", "does", "did", "can", "could", "should", "would",
        "will", "shall", "may", "might", "must", "i", "it", "its", "my", "we", "our", "us", "you", "your", "they", "their",
        "this", "that", "these", "those", "there", "by", "as", "at", "from", "me", "about", "into", "any", "some", "if",
        "has", "have", "had", "get", "use", "used", "using", "need", "than", "then", "so", "not", "no", "yes",
        "tell", "please", "know", "want", "much", "many", "also", "all", "one", "s", "happen", "happens", "work", "works",
        "way", "possible", "able", "exactly", "kind", "sort", "thing", "things", "happened",
    };

    // Past forms that suffixes do not reach: "What is the starter fed with?" meets "We feed it with rye flour".
    private static readonly Dictionary<string, string> IrregularForms = new(StringComparer.Ordinal)
    {
        ["fed"] = "feed", ["kept"] = "keep", ["sent"] = "send", ["made"] = "make", ["paid"] = "pay", ["sold"] = "sell",
        ["built"] = "build", ["held"] = "hold", ["lost"] = "lose", ["taken"] = "take", ["took"] = "take", ["given"] = "give",
        ["gave"] = "give", ["written"] = "write", ["wrote"] = "write", ["chosen"] = "choose", ["chose"] = "choose",
        ["ran"] = "run", ["began"] = "begin", ["begun"] = "begin", ["brought"] = "bring", ["bought"] = "buy", ["caught"] = "catch",
        ["thought"] = "think", ["taught"] = "teach", ["spent"] = "spend", ["stood"] = "stand", ["understood"] = "understand",
        ["grew"] = "grow", ["grown"] = "grow", ["shown"] = "show", ["drawn"] = "draw", ["drew"] = "draw", ["froze"] = "freeze",
        ["frozen"] = "freeze", ["broke"] = "break", ["broken"] = "break", ["rose"] = "rise", ["risen"] = "rise",
        ["fell"] = "fall", ["fallen"] = "fall", ["hid"] = "hide", ["hidden"] = "hide", ["met"] = "meet", ["read"] = "read",
    };

    // What product documentation states in one word and questions ask in another: each word stands for the first of
    // its group, in the question and in the sources alike ("How much does it cost?" meets "price $8").
    private static readonly Dictionary<string, string> SameMeaning = Groups(
        ["price", "cost", "fee", "pricing"],
        ["maximum", "max", "limit", "largest", "biggest"],
        ["minimum", "min", "smallest", "least"],
        ["delete", "remove", "erase"],
        ["user", "people", "person"],
        ["weight", "weigh", "heavy"],
        ["option", "flag"],
        ["warranty", "guarantee"],
        ["phone", "telephone"],
        ["authenticate", "authentication", "authorization", "authorize", "auth"]);

    // A quantity in the units of a property says that property without naming it: "250 MB" is a size, "$8" a price,
    // "2200 W" a power, "within 28 days" a deadline, "9 am to 5.30 pm" opening hours. The kinds are those product
    // documentation states its specifications, terms and schedules in.
    private const string Count = @"(\b\d+(\.\d+)?\s?-?|\b(an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|sixty|ninety)[\s-])";
    private const string Duration = Count + @"((working|business|calendar|full|consecutive|clear)\s)?(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|nights?|weeks?|months?|years?|yrs?)\b|\b(daily|weekly|monthly|yearly|annually|hourly)\b";
    private const string ClockOrDay = @"\b\d{1,2}([:.]\d{2})?\s?([ap]\.?m\b\.?)|\b\d{1,2}:\d{2}\b|\b(noon|midnight|weekdays?|weekends?|(mon|tues|wednes|thurs|fri|satur|sun)days?)\b";
    private const string Date = @"\b(january|february|march|april|june|july|august|september|october|november|december)\b|\b\d{1,2}(st|nd|rd|th)?\s(may|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\bmay\s\d{1,2}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b";
    private const string Speed = @"\d\s?([kmg]bit/s|[kmg]bps|[kmgt]i?b/s|km/h|mph|rpm|ppm)|\bper (second|minute|hour)\b";
    private const string Length = @"\d\s?(mm|cm|m|km|inch|inches|ft|feet|foot|yd|yards?|mi|miles?|met(re|er)s?|(milli|centi|kilo)met(re|er)s?)\b";

    private static readonly (string[] Properties, System.Text.RegularExpressions.Regex Units)[] PropertyUnits =
    [
        (["price", "cost", "charge"], new(@"[$€£¥]\s?\d|\d\s?(usd|eur|gbp|dollars?|euros?|cents?|pence)\b|\bfree\b", RegexOptions)),
        (["size", "storage", "space", "memory", "disk", "capacity", "volume"], new(@"\d\s?([kmgtp]i?b|bytes?|l|ml|litres?|liters?|millilitres?|gal|gallons?|[km]?wh|mah)\b|" + Length, RegexOptions)),
        (["weight"], new(@"\d\s?(g|kg|grams?|kilograms?|lbs?|pounds?|ounces?|oz)\b", RegexOptions)),
        (["temperature"], new(@"\d\s?°|\bdegrees?\b", RegexOptions)),
        (["speed"], new(Speed, RegexOptions)),

        // "How fast are refunds paid?" is answered by a speed or by how long it takes ("within 21 days").
        (["fast", "quick", "quickly", "soon"], new(Speed + "|" + Duration + "|" + ClockOrDay + "|" + Date + @"|\b(immediately|at once|instantly|same day|next day)\b", RegexOptions)),
        (["long"], new(Duration + "|" + Length + @"|\b(until|forever|indefinitely|permanently)\b", RegexOptions)),
        (["often"], new(Duration + @"|\b(once|twice|every|each|per|always|never)\b", RegexOptions)),
        (["power", "wattage", "output", "consumption"], new(@"\d\s?(w|kw|mw|[km]?wh|watts?|kilowatts?|megawatts?)\b", RegexOptions)),
        (["voltage"], new(@"\d\s?(v|kv|mv|volts?|vac|vdc)\b", RegexOptions)),
        (["current", "amperage"], new(@"\d\s?(a|ma|amps?|amperes?)\b", RegexOptions)),
        (["frequency"], new(@"\d\s?([kmg]?hz|hertz)\b|\b(once|twice|every|each)\b|\bper (second|minute|hour|day|week|month|year)\b|" + Duration, RegexOptions)),
        (["distance", "range", "length", "height", "width", "depth", "reach", "dimension"], new(Length, RegexOptions)),

        // A period is said by how long it lasts ("2 years"); a deadline by how long, or by a date or a day.
        (["duration", "period", "warranty", "trial", "lifetime", "life", "runtime", "retention", "term"], new(Duration, RegexOptions)),
        (["deadline", "cutoff", "time"], new(Duration + "|" + ClockOrDay + "|" + Date, RegexOptions)),
        (["hour", "schedule", "day", "date", "opening"], new(ClockOrDay + "|" + Date, RegexOptions)),
        (["percentage", "percent", "rate", "discount", "share"], new(@"\d\s?(%|percent|per cent)|\b(half|quarter|third)\b", RegexOptions)),
        (["version", "number", "amount", "count"], new(@"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand)\b", RegexOptions)),
    ];

    private const System.Text.RegularExpressions.RegexOptions RegexOptions = System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant;

    // Words that end a question's asked-for noun phrase ("Which port *does* ...", "What is the price *of* ...").
    private static readonly HashSet<string> PhraseEnds = new(StringComparer.Ordinal)
    {
        "is", "are", "was", "were", "does", "do", "did", "can", "could", "should", "would", "will", "has", "have", "must", "may",
        "of", "for", "in", "on", "per", "to", "at", "from", "with", "by", "that", "when", "if", "i", "you", "we", "it",
    };

    // "How long", "how often": the question asks for a quantity, the word itself is not in the answer.
    private static readonly HashSet<string> QuantityWords = new(StringComparer.Ordinal) { "long", "often", "soon", "far", "old", "early", "late", "frequently" };

    // Stemmed like the question's words.
    private static readonly HashSet<string> CommandWords = new(
        ((string[])["command", "run", "type", "execute", "cli", "terminal", "shell", "install", "invoke", "start"]).Select(Stem),
        StringComparer.Ordinal);

    /// <summary>Answers from the words of the question alone (no embeddings).</summary>
    public static ExtractiveAnswer Answer(string question, IReadOnlyList<ChunkMatch> sources)
    {
        List<Candidate> candidates = Candidates(sources, question);
        (double total, double absent, _) = ScoreWords(question, candidates);
        return Decide(question, sources, candidates, total, absent, semantic: false, reducedVector: default);
    }

    /// <summary>
    /// Answers with the question's embedding: every block is embedded too, and its similarity to the question counts
    /// with its words. If the embedder fails, the words alone decide.
    /// </summary>
    public static async ValueTask<ExtractiveAnswer> AnswerAsync(
        string question,
        ReadOnlyMemory<float> questionVector,
        IReadOnlyList<ChunkMatch> sources,
        IEmbeddingGenerator<string, Embedding<float>> embedder,
        CancellationToken cancellationToken)
    {
        List<Candidate> candidates = Candidates(sources, question);
        (double total, double absent, HashSet<string> absentWords) = ScoreWords(question, candidates);
        bool semantic = false;
        ReadOnlyMemory<float> reducedVector = default;
        if (candidates.Count > 0 && !questionVector.IsEmpty)
        {
            try
            {
                // Only the blocks whose words match best are embedded: it bounds the cost of a long chunk. The question
                // without the words no source contains is embedded too: how much closer it sits to the best block
                // says whether the block leaves those words unanswered.
                Candidate[] embedded = candidates.OrderByDescending(c => c.Coverage).ThenBy(c => c.Source).Take(MaxEmbeddedBlocks).ToArray();
                string? reduced = absentWords.Count > 0 ? WithoutWords(question, absentWords) : null;
                // A long block is embedded by its start: a batch costs as much as its longest text times its size.
                IEnumerable<string> texts = embedded.Select(c => c.EmbeddingText.Length <= MaxEmbeddedChars ? c.EmbeddingText : c.EmbeddingText[..MaxEmbeddedChars]);
                GeneratedEmbeddings<Embedding<float>> vectors = await embedder
                    .GenerateAsync(reduced is null ? texts : texts.Append(reduced), cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                for (int i = 0; i < embedded.Length; i++)
                {
                    embedded[i].Vector = vectors[i].Vector;
                    embedded[i].Similarity = TensorPrimitives.CosineSimilarity(questionVector.Span, vectors[i].Vector.Span);
                }

                semantic = vectors.Count == embedded.Length + (reduced is null ? 0 : 1);
                reducedVector = semantic && reduced is not null ? vectors[^1].Vector : default;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The words alone still answer.
            }
        }

        return Decide(question, sources, candidates, total, absent, semantic, reducedVector);
    }

    // Sets each block's coverage of the question's weighted words; returns the question's total weight and the share of
    // it carried by words that no block contains, even in its context.
    private static (double Total, double Absent, HashSet<string> AbsentWords) ScoreWords(string question, List<Candidate> candidates)
    {
        Dictionary<string, double> weights = Weights(question, candidates);
        double total = weights.Values.Sum();
        var absentWords = weights.Keys.Where(w => !candidates.Exists(c => c.Words.Contains(w) || c.Context.Contains(w))).ToHashSet(StringComparer.Ordinal);
        double absent = absentWords.Sum(w => weights[w]);
        HashSet<string> questionWords = QuestionWords(question);
        foreach (Candidate c in candidates)
        {
            c.Coverage = total > 0 ? Coverage(c, weights, Calibration.ContextWeight) / total : 0;

            // "RagKit is a .NET library ..." answers "What is RagKit?": a sentence whose subject the question names.
            c.NamesSubject = c.Kind == BlockKind.Prose && Subject(c.Text) is { } subject && questionWords.Contains(Stem(subject.ToLowerInvariant()));
        }

        return (total, total > 0 ? absent / total : 0, absentWords);
    }

    private static ExtractiveAnswer Decide(string question, IReadOnlyList<ChunkMatch> sources, List<Candidate> candidates, double total, double absent, bool semantic, ReadOnlyMemory<float> reducedVector)
    {
        ExtractiveCalibration k = Calibration;
        if (sources.Count == 0)
        {
            return new(DontKnow + ": no ingested document matches this question.", [], sources, 0, Refused: true, semantic);
        }

        if (candidates.Count == 0 || (total <= 0 && !semantic) || NamesSomethingUnmentioned(question, sources))
        {
            return new(NotInSources, [], sources, 0, Refused: true, semantic);
        }

        HashSet<string> questionWords = QuestionWords(question);
        bool wantsCommand = questionWords.Overlaps(CommandWords);
        bool procedural = AsksHowTo(question);
        System.Text.RegularExpressions.Regex? role = AnswerRole(question);
        foreach (Candidate c in candidates)
        {
            double score = semantic ? (k.LexicalWeight * c.Coverage) + ((1 - k.LexicalWeight) * c.Similarity) : c.Coverage;
            c.Score = score + (role is not null && c.Heading is { } section ? role.IsMatch(section) ? k.RoleBonus : PremiseSection.IsMatch(section) ? -k.PremisePenalty : 0 : 0) + (wantsCommand && c.Kind == BlockKind.Code ? 0.1 : procedural && c.IsCommand ? k.HowToCommandBonus : 0) + (c.NamesSubject ? k.SubjectBonus : 0) - (c.LooksLikeMarkup ? 1 : 0) - (c.Source * 0.01);
        }

        candidates.Sort((x, y) => y.Score.CompareTo(x.Score));
        foreach (Candidate c in candidates.Take(Trace is null ? 0 : 6))
        {
            Trace!(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Score:F3} words {c.Coverage:F3} meaning {c.Similarity:F3} [{c.Heading}] {c.Text}"));
        }

        Candidate best = candidates[0];
        double min = semantic ? k.MinScore : k.MinCoverage;
        double margin = candidates.Count > 1 ? best.Score - candidates[1].Score : best.Score;
        double gap = !reducedVector.IsEmpty && !best.Vector.IsEmpty ? TensorPrimitives.CosineSimilarity(reducedVector.Span, best.Vector.Span) - best.Similarity : 0;
        string? property = AskedProperty(question);
        bool propertyUnsaid = property is not null && !States(question, property, best.Words, best.Context, best.Text);
        bool quantityUnsaid = AsksQuantity(question) && !Quantity.IsMatch(best.Text);
        if (best.Score < min || gap > k.MaxGap || (semantic && propertyUnsaid && best.Score < k.MinScoreWithoutProperty) || (semantic && quantityUnsaid && best.Score < k.MinScoreWithoutQuantity))
        {
            return new(NotInSources, [], sources, best.Score, Refused: true, semantic) { Absent = absent, BestCoverage = best.Coverage, Margin = margin, Gap = gap, Property = property, PropertyUnsaid = propertyUnsaid, QuantityUnsaid = quantityUnsaid };
        }

        var picks = new List<Candidate> { best };
        bool wholeParagraph = QuotesParagraph(role, best);
        foreach (Candidate c in candidates.Skip(1))
        {
            if (wholeParagraph && c.Paragraph == best.Paragraph && c.Source == best.Source)
            {
                continue;
            }

            if (c.Score < best.Score * k.SecondBlockShare || c.Score < min)
            {
                break;
            }

            // "What is RagKit?" answered by "RagKit is ..." goes on with another statement about RagKit, not with any
            // block that merely mentions it.
            if (best.NamesSubject && !c.NamesSubject)
            {
                continue;
            }

            if (!picks.Exists(p => Overlaps(p, c)))
            {
                picks.Add(c);
                break;
            }
        }

        // Quote in reading order when both come from one source; cite 1..n in the order the citations appear.
        if (picks.Count == 2 && picks[0].Source == picks[1].Source && picks[1].Position < picks[0].Position)
        {
            picks.Reverse();
        }

        var order = new List<int>();
        var sb = new StringBuilder();
        foreach (Candidate pick in picks)
        {
            int number = order.IndexOf(pick.Source) + 1;
            if (number == 0)
            {
                order.Add(pick.Source);
                number = order.Count;
            }

            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(pick == best && wholeParagraph ? best.Paragraph : Present(question, pick, candidates, questionWords, procedural || wantsCommand)).Append(" [").Append(number).Append(']');
        }

        var ordered = new List<ChunkMatch>(sources.Count);
        var citations = new List<Citation>(order.Count);
        foreach (int source in order)
        {
            ordered.Add(sources[source]);
            citations.Add(CitationParser.ToCitation(ordered.Count, sources[source]));
        }

        for (int i = 0; i < sources.Count; i++)
        {
            if (!order.Contains(i))
            {
                ordered.Add(sources[i]);
            }
        }

        return new(sb.ToString(), citations, ordered, best.Score, Refused: false, semantic) { Absent = absent, BestCoverage = best.Coverage, Margin = margin, Gap = gap, Property = property, PropertyUnsaid = propertyUnsaid, QuantityUnsaid = quantityUnsaid };
    }

    // A lead-in that ends with a colon is quoted with what it introduces, and an item or command with its lead-in. The
    // heading of a list that holds what the question asks and the item does not ("In which version ...?" for an item
    // under "Version 5.2.0") leads the quote.
    private static string Present(string question, Candidate pick, List<Candidate> all, HashSet<string> questionWords, bool wantsSteps)
    {
        string quote = Quote(pick, all);
        if (wantsSteps && pick.Kind == BlockKind.Code && pick.Lead is null && pick.Description is { } description && pick.IsCommand)
        {
            // "How do I remove old snapshots?": what the command does, then the command.
            return EndWithColon(description) + " " + quote;
        }

        if (wantsSteps && pick.Kind == BlockKind.Prose && !pick.Text.EndsWith(':')
            && all.Find(c => c.Source == pick.Source && c.Position > pick.Position && c.Description is { } d && d.Contains(pick.Text, StringComparison.Ordinal) && c.IsCommand) is { } command)
        {
            // "How do I get files back?" answered by "Restores a snapshot ...": the command it describes goes with it.
            return EndWithColon(pick.Text) + " " + command.Text.Trim();
        }

        if (SectionStating(question, pick) is { } section)
        {
            // "Which version fixed the crash?" answered by an item of a changelog: the release heading above it says
            // what the item does not ("[3.2.0] - 2026-05-12: A crash when ...").
            return EndWithColon(section) + " " + quote;
        }

        if (pick.Heading is { Length: <= MaxLeadingHeading } heading && pick.Kind == BlockKind.Item && pick.Lead is null && !heading.EndsWith('?')
            && Words(heading, withParts: true).Any(w => questionWords.Contains(w) && !pick.Words.Contains(w)))
        {
            return EndWithColon(heading) + " " + quote;
        }

        return quote;
    }

    // For a question that asks which version or when, the innermost heading above the block that states a version or a
    // date when the block itself states none; null otherwise.
    internal static string? SectionStating(string question, string text, string? sections)
    {
        if (sections is null)
        {
            return null;
        }

        System.Text.RegularExpressions.Regex? states = AsksVersion.IsMatch(question) ? VersionNumber : AsksWhen.IsMatch(question) ? DateOrVersion : null;
        // A block that names what is asked ("added in this version") is read as saying it, as for any asked property.
        if (states is null || states.IsMatch(text) || (states == DateOrVersion && DateStated.IsMatch(text)) || Words(text).Overlaps(VersionWords))
        {
            return null;
        }

        string[] headings = sections.Split(ChunkText.Separator);
        for (int i = headings.Length - 1; i >= 0; i--)
        {
            if (headings[i].Length <= MaxLeadingHeading && states.IsMatch(headings[i]))
            {
                return headings[i].Replace("`", "", StringComparison.Ordinal);
            }
        }

        return null;
    }

    private static string? SectionStating(string question, Candidate pick) =>
        pick.Kind is BlockKind.Item or BlockKind.Prose or BlockKind.Row ? SectionStating(question, pick.Text, pick.Sections) : null;

    // The section that answers a kind of question in a knowledge-base article or a troubleshooting page: "Cause" for
    // "Why ...?", "Resolution" for "What should I do ...?". Its "Symptoms" restate the problem and answer neither.
    internal static System.Text.RegularExpressions.Regex? AnswerRole(string question) =>
        AsksWhy.IsMatch(question) ? CauseSection : AsksRemedy.IsMatch(question) ? RemedySection : null;

    // A cause or a resolution is often told in two or three sentences that lean on each other ("Some routers close idle
    // mappings after 60 seconds. When no traffic passes for that long, ..."): the block of its section is quoted with
    // its paragraph when that is short.
    private static bool QuotesParagraph(System.Text.RegularExpressions.Regex? role, Candidate best) =>
        role is not null && best.Kind == BlockKind.Prose && best.Paragraph is { Length: <= MaxRoleParagraph } paragraph && paragraph != best.Text
        && best.Heading is { } section && role.IsMatch(section);

    private static readonly System.Text.RegularExpressions.Regex AsksWhy = new(@"^(why|how come)\b|^what (causes|is causing|makes)\b", RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex AsksRemedy = new(@"^what (should|can|do|must) (i|we|you) do\b|^what else can\b|^how (do|can|should) (i|we|you) (fix|solve|resolve|repair|stop|get rid of)\b", RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex PremiseSection = new(@"^(symptoms?|problems?|issues?|what you see)$", RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex CauseSection = new(@"^(causes?|reasons?|why|root cause|explanation|background)\b", RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex RemedySection = new(@"^(resolutions?|solutions?|fix(es)?|workarounds?|what to do|remed(y|ies)|how to fix|steps to (fix|resolve))\b", RegexOptions);

    // "Which version ...?", "In which release ...?", "Since when ...?"; "When ...?" and "What date ...?".
    private static readonly System.Text.RegularExpressions.Regex AsksVersion = new(@"\b(which|what) (version|release)\b|\bsince (which|what|when)\b", RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex AsksWhen = new(@"^when\b|\b(what|which) (date|day)\b", RegexOptions);
    private static readonly HashSet<string> VersionWords = new(((string[])["version", "release"]).Select(Stem), StringComparer.Ordinal);
    private static readonly System.Text.RegularExpressions.Regex VersionNumber = new(@"\d", RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex DateStated = new(Date, RegexOptions);
    private static readonly System.Text.RegularExpressions.Regex DateOrVersion = new(Date + @"|\b\d+\.\d+(\.\d+)?\b", RegexOptions);

    private static string Quote(Candidate pick, List<Candidate> all)
    {
        string text = pick.Kind == BlockKind.Code ? pick.Text.Trim() : pick.Text;
        if (pick.Kind is BlockKind.Prose or BlockKind.Item && text.EndsWith(':'))
        {
            // A lead-in, or a step ("Stop the service:"), with the items or the command it introduces.
            List<Candidate> next = all.Where(c => c.Source == pick.Source && c.Position > pick.Position && c.Lead is not null && c.Lead.EndsWith(text, StringComparison.Ordinal) && c.Kind is BlockKind.Item or BlockKind.Code).OrderBy(c => c.Position).ToList();
            if (next.Count > 0)
            {
                return text + " " + string.Join("; ", next.Select(c => c.Text.Trim()));
            }
        }

        if (pick.Kind is BlockKind.Item or BlockKind.Code && pick.Lead is { } lead)
        {
            return EndWithColon(lead) + " " + text;
        }

        return text;
    }

    private static string EndWithColon(string lead) => lead.EndsWith(':') ? lead : lead.TrimEnd('.') + ":";

    /// <summary>Whether a text says what the question's wh-phrase asks for (true when it asks for nothing in particular).</summary>
    internal static bool StatesAskedProperty(string question, string text) =>
        AskedProperty(question) is not { } property || States(question, property, Words(text), [], text);

    // The block names the property, in its words or context, or states a quantity in its units; "How many ...?" is
    // answered by any count.
    private static bool States(string question, string property, HashSet<string> words, HashSet<string> context, string text)
    {
        if (words.Contains(property) || context.Contains(property))
        {
            return true;
        }

        return StatesInUnits(question, property, text);
    }

    // A quantity in the property's units: "2 years" for "How long ...?", "2200 W" for a power.
    private static bool StatesInUnits(string question, string property, string text)
    {
        string count = Stem("number");
        foreach ((string[] properties, System.Text.RegularExpressions.Regex units) in PropertyUnits)
        {
            if (properties.Any(p => Stem(p) == property || (Stem(p) == count && AsksHowMany(question))) && units.IsMatch(text))
            {
                return true;
            }
        }

        return false;
    }

    // Any quantity: a number, a number word, or none or no limit at all.
    private static readonly System.Text.RegularExpressions.Regex Quantity = new(@"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred|thousand|million|dozen|half|double|twice|once|unlimited|no limit|none|equal|free|any number|as many|as much)\b", RegexOptions);

    // "How much ...?", "How many ...?" and a question for a maximum or minimum ("at most", "the largest") ask for a
    // quantity: a block without any number cannot answer them ("How many partitions can a topic have at most?").
    private static bool AsksQuantity(string question)
    {
        string q = question.ToLowerInvariant();
        return q.StartsWith("how much ", StringComparison.Ordinal) || q.StartsWith("how many ", StringComparison.Ordinal)
            || QuestionWords(question).Overlaps(Extremes) || q.Contains(" at most", StringComparison.Ordinal) || q.Contains(" at least", StringComparison.Ordinal);
    }

    private static readonly HashSet<string> Extremes = new(((string[])["maximum", "minimum"]).Select(Stem), StringComparer.Ordinal);

    // "How many copies ...?" is answered by a count ("two replicas") that need not repeat the word counted.
    private static bool AsksHowMany(string question) => question.StartsWith("How many ", StringComparison.OrdinalIgnoreCase);

    // "How do I ...?", "How can I ...?", "How to ...?": asks for steps or a command, not a quantity or a reason.
    private static bool AsksHowTo(string question)
    {
        string[] tokens = question.ToLowerInvariant().Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
        return tokens.Length >= 3 && tokens[0] == "how"
            && ((tokens[1] is "do" or "can" or "should" or "would" && tokens[2] is "i" or "you" or "we") || tokens[1] == "to");
    }

    private static bool Overlaps(Candidate a, Candidate b)
    {
        // A command and the paragraph that says what it does are quoted together.
        if ((a.Description is { } da && da.Contains(b.Text, StringComparison.Ordinal)) || (b.Description is { } db && db.Contains(a.Text, StringComparison.Ordinal)))
        {
            return true;
        }

        // A lead-in is quoted with what it introduces, and the other way round.
        if ((a.Lead is not null && a.Lead.EndsWith(b.Text, StringComparison.Ordinal)) || (b.Lead is not null && b.Lead.EndsWith(a.Text, StringComparison.Ordinal)))
        {
            return true;
        }

        if (a.Text.Contains(b.Text, StringComparison.OrdinalIgnoreCase) || b.Text.Contains(a.Text, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        int shared = a.Words.Count(b.Words.Contains);
        return shared >= 0.6 * Math.Min(a.Words.Count, b.Words.Count);
    }

    private static double Coverage(Candidate c, Dictionary<string, double> weights, double contextWeight)
    {
        double covered = 0;
        foreach ((string word, double weight) in weights)
        {
            covered += c.Words.Contains(word) ? weight : c.Context.Contains(word) ? weight * contextWeight : 0;
        }

        return covered;
    }

    // Rare words say more: a question word found in few blocks weighs more; one found in none weighs most.
    private static Dictionary<string, double> Weights(string question, List<Candidate> candidates)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string word in QuestionWords(question))
        {
            int df = candidates.Count(c => c.Words.Contains(word) || c.Context.Contains(word));
            weights[word] = Math.Log(1 + ((candidates.Count + 1.0) / (df + 1.0)));
        }

        return weights;
    }

    private static List<Candidate> Candidates(IReadOnlyList<ChunkMatch> sources, string question)
    {
        string echo = LettersAndDigitsSpaced(question);
        var candidates = new List<Candidate>();
        for (int s = 0; s < sources.Count; s++)
        {
            (string? breadcrumb, string body) = ChunkText.Split(sources[s].Text);
            HashSet<string> sectionWords = Words(string.Concat(breadcrumb, " ", sources[s].Title), withParts: true);
            HashSet<string> context = sectionWords;
            string? heading = breadcrumb is null ? null : breadcrumb[(breadcrumb.LastIndexOf(ChunkText.Separator, StringComparison.Ordinal) is var at and >= 0 ? at + ChunkText.Separator.Length : 0)..].Replace("`", "", StringComparison.Ordinal);
            string? lead = null;
            string? description = null;
            string? step = null;
            foreach (StructuredBlock b in DocumentStructure.Read(body, keepInlineCode: false, plainTextHeadings: false))
            {
                // A step that ends with a colon ("Stop the service:") leads the command nested under it.
                string? stepLead = b.Kind == BlockKind.Code ? step : null;
                step = b.Kind == BlockKind.Item && b.Text.EndsWith(':') ? b.Text : null;
                // A command right after a paragraph that says what it does ("Deletes snapshots outside the retention
                // policy." then "kestrel prune ...") is read with it, as a command is with a lead-in ending in a colon.
                string? described = b.Kind == BlockKind.Code && lead is null ? description : null;
                description = b.Kind == BlockKind.Prose && !b.Text.EndsWith('?') && b.Text.Length <= MaxDescription ? b.Text : null;
                switch (b.Kind)
                {
                    case BlockKind.Heading or BlockKind.Question:
                        // A heading inside the text (chunks stored before breadcrumbs) is context, never an answer.
                        context = new HashSet<string>(sectionWords, StringComparer.Ordinal);
                        context.UnionWith(Words(b.Text, withParts: true));
                        heading = b.Kind == BlockKind.Heading ? b.Text : null;
                        lead = null;
                        break;
                    case BlockKind.Prose:
                        // The sentence before is context too: "it" in "We feed it with rye flour" is the starter.
                        string? previous = null;
                        foreach (string sentence in SentenceChunker.SplitSentences(b.Text, 1000))
                        {
                            if (!sentence.EndsWith('?'))
                            {
                                HashSet<string> sentenceContext = previous is null ? context : new HashSet<string>(context.Concat(Words(previous, withParts: true)), StringComparer.Ordinal);
                                candidates.Add(new Candidate(sentence, b.Kind, s, candidates.Count, Words(sentence), WithNameParts(sentenceContext, sentence), null) { Heading = heading, Sections = breadcrumb, Paragraph = b.Text });
                            }

                            previous = sentence;
                        }

                        lead = b.Text.EndsWith(':') ? b.Text : null;
                        break;
                    case BlockKind.Code when echo.Split(' ').Length >= 3 && LettersAndDigitsSpaced(b.Text).Contains(echo, StringComparison.Ordinal):
                        // Code that quotes the question word for word is a transcript or an example of asking it
                        // (a page showing earlier output), never its answer.
                        lead = null;
                        break;
                    default:
                        string? leadIn = stepLead ?? lead ?? described;
                        var itemContext = leadIn is null ? context : new HashSet<string>(context.Concat(Words(leadIn, withParts: true)), StringComparer.Ordinal);
                        candidates.Add(new Candidate(b.Text, b.Kind, s, candidates.Count, Words(b.Text), WithNameParts(itemContext, b.Text), stepLead ?? lead) { Heading = heading, Sections = breadcrumb, Description = described });
                        if (b.Kind is not (BlockKind.Item or BlockKind.Code))
                        {
                            lead = null;
                        }

                        break;
                }
            }
        }

        return candidates;
    }

    // The parts of the block's dotted and underscored names count like its context: "net.mqtt_port" answers "Which MQTT
    // port ...?", but "ragkit.ask.duration" is not a statement about RagKit.
    private static HashSet<string> WithNameParts(HashSet<string> context, string text)
    {
        HashSet<string> parts = Words(text, withParts: true);
        parts.ExceptWith(Words(text));
        if (parts.Count == 0)
        {
            return context;
        }

        parts.UnionWith(context);
        return parts;
    }

    // The subject of a sentence that states what something is or does: "RagKit is ...", "The SunBox stores ...".
    private static string? Subject(string sentence)
    {
        // "RagKit: ids 1000-1999" is a labelled table row, not a sentence about RagKit: a label ends with a colon.
        string[] tokens = sentence.Split(' ', 4);
        int i = tokens.Length > 0 && tokens[0] is "The" or "A" or "An" ? 1 : 0;
        return i + 1 < tokens.Length && tokens[i].Length > 0 && char.IsLetter(tokens[i][0]) && !tokens[i].EndsWith(':') && tokens[i + 1].Length > 0 && char.IsLower(tokens[i + 1][0])
            ? tokens[i].TrimEnd(',', ':', ';')
            : null;
    }

    // A name in the question that no source mentions: the sources are about something else. A name is a word with a
    // capital after the question's first word ("FreeBSD", "Zigbee"), a word with a capital inside it ("iPhone"), or a
    // number or version ("4.0"). Names are compared by their letters and digits ("Wi-Fi" is mentioned by "wifi_band");
    // a bare number must appear as a word of its own.
    private static bool NamesSomethingUnmentioned(string question, IReadOnlyList<ChunkMatch> sources)
    {
        string[] tokens = question.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? letters = null;
        HashSet<string>? words = null;
        for (int t = 0; t < tokens.Length; t++)
        {
            string name = tokens[t].Trim('?', '.', ',', '!', ':', ';', '"', '\'', '(', ')');
            if (name.EndsWith("'s", StringComparison.Ordinal))
            {
                name = name[..^2];
            }

            bool capitalInside = name.Skip(1).Any(char.IsUpper);
            bool number = name.Any(char.IsDigit);
            bool capitalised = t > 0 && name.Length > 0 && char.IsUpper(name[0]);
            if (name.Length < 2 || !(capitalInside || number || capitalised) || StopWords.Contains(name))
            {
                continue;
            }

            letters ??= LettersAndDigits(string.Join(' ', sources.Select(s => s.Text + " " + s.Title)));
            words ??= Words(string.Join(' ', sources.Select(s => s.Text + " " + s.Title)));
            bool mentioned = name.Any(char.IsLetter)
                ? letters.Contains(LettersAndDigits(name), StringComparison.Ordinal)
                : Words(name).IsSubsetOf(words) || IsInSeries(name, words);
            if (!mentioned)
            {
                return true;
            }
        }

        return false;
    }

    // "3.4" belongs to the "3.x" that a source names ("older 3.x releases must first be updated to 3.9").
    private static bool IsInSeries(string version, HashSet<string> words)
    {
        int dot = version.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && (words.Contains(version[..dot] + ".x") || words.Contains(version[..dot] + ".*"));
    }

    // What the question asks for, by its wh-phrase: "price" in "What is the price of ...?", "port" in "Which port
    // does ...?", "cost" in "How much does ... cost?", "storage" in "How much storage ...?", "heavy" in "How heavy ...?".
    // Null when it asks for something else (how to, why, yes or no).
    internal static string? AskedProperty(string question)
    {
        string[] t = question.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('?', ',', '.', '!', '"', '\'')).Where(w => w.Length > 0).ToArray();
        if (t.Length < 3)
        {
            return null;
        }

        int start;
        if (t[0] is "what" or "which" && t[1] is "is" or "are" or "was" or "were" && t[2] is "the" or "a" or "an")
        {
            start = 3;
        }
        else if (t[0] is "what" or "which" && !PhraseEnds.Contains(t[1]) && !StopWords.Contains(t[1]))
        {
            start = 1;
        }
        else if (t[0] == "how" && t[1] is "much" or "many")
        {
            if (t[2] is "does" or "do" or "did" or "is" or "will")
            {
                // "How much does the Premium plan cost?"
                return t[^1] is "cost" or "costs" ? Stem(t[^1]) : null;
            }

            start = 2;
        }
        else if (t[0] == "how" && t[1] is "heavy" or "big" or "large" or "wide" or "tall" or "fast" or "loud" or "bright" && t[2] is "is" or "are" or "does" or "do")
        {
            return Stem(t[1]);
        }
        else if (t[0] == "how" && t[1] is "long" or "often" or "soon" or "quickly")
        {
            // "How long is the trial?" is answered by a duration (or a length), "How often ...?" by a frequency.
            return Stem(t[1]);
        }
        else
        {
            return null;
        }

        int end = start;
        while (end < t.Length && !PhraseEnds.Contains(t[end]))
        {
            end++;
        }

        // The head of the phrase is its last word: "the print speed" -> "speed", "delivery guarantee" -> "guarantee".
        return end > start && end - start <= 3 && Words(t[end - 1]) is { Count: 1 } head && !StopWords.Contains(head.First()) ? head.First() : null;
    }

    // The question without the words of a set: "How much does the Premium plan cost?" without "cost".
    private static string WithoutWords(string question, HashSet<string> words) =>
        string.Join(' ', question.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => !Words(t).Overlaps(words)));

    // Lower-case letters and digits, every other run of characters one space: "Q: How do I X?" → "q how do i x".
    private static string LettersAndDigitsSpaced(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
            else if (builder.Length > 0 && builder[^1] != ' ')
            {
                builder.Append(' ');
            }
        }

        return builder.ToString().TrimEnd();
    }

    private static string LettersAndDigits(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.ToString();
    }

    // The words a question asks about. "How long", "how often" and "at most" ask for a quantity: the answer says
    // "3 hours" or "weekly", not "long" or "often", so those words are not looked for.
    internal static HashSet<string> QuestionWords(string question)
    {
        HashSet<string> words = Words(question);
        string[] tokens = question.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            string next = tokens[i + 1].TrimEnd('?', ',', '.', '!');
            if ((tokens[i] == "how" && QuantityWords.Contains(next)) || (tokens[i] == "at" && next is "most" or "least"))
            {
                words.Remove(Stem(next));
            }
        }

        return words;
    }

    /// <summary>Content words of a text, lower-cased and lightly stemmed so "tables" meets "table".</summary>
    /// <param name="text">The text.</param>
    /// <param name="withParts">Also the words of a dotted or underscored name ("net.mqtt_port" gives "net", "mqtt" and
    /// "port" too), so that a question in plain words finds a setting or parameter by its name.</param>
    internal static HashSet<string> Words(string text, bool withParts = false)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            // "ragkit.ask" and "cache_ttl" are names, not the words "ragkit" and "cache": a joiner between letters stays.
            bool letter = i < text.Length && (char.IsLetterOrDigit(text[i])
                || (start >= 0 && text[i] is '.' or '_' && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1])));
            if (letter && start < 0)
            {
                start = i;
            }
            else if (!letter && start >= 0)
            {
                string w = text[start..i];
                if (!StopWords.Contains(w) && !IsOneLetterRepeated(w))
                {
                    words.Add(Stem(w.ToLowerInvariant()));
                }

                if (withParts && w.AsSpan().IndexOfAny('.', '_') > 0)
                {
                    foreach (string part in w.Split('.', '_'))
                    {
                        if (part.Length > 1 && part.Any(char.IsLetter) && !StopWords.Contains(part))
                        {
                            words.Add(Stem(part.ToLowerInvariant()));
                        }
                    }
                }

                start = -1;
            }
        }

        return words;
    }

    // "ﷺﷺﷺ" or "aaaa" is noise, not a word a source could contain (numbers such as "111" are words).
    private static bool IsOneLetterRepeated(string w) => w.Length >= 3 && !char.IsDigit(w[0]) && w.AsSpan().IndexOfAnyExcept(w[0]) < 0;

    // Suffixes off, then a final "e", so that change, changes, changed and changing meet; then the group's word.
    private static string Stem(string w) => Normalize(StemOnly(w));

    private static string Normalize(string stem) => SameMeaning.TryGetValue(stem, out string? canonical) ? canonical : stem;

    private static string StemOnly(string w)
    {
        if (IrregularForms.TryGetValue(w, out string? baseForm))
        {
            w = baseForm;
        }

        if (w.Length > 5 && w.EndsWith("ing", StringComparison.Ordinal))
        {
            w = Undouble(w[..^3]);
        }
        else if (w.Length > 4 && w.EndsWith("ed", StringComparison.Ordinal))
        {
            w = Undouble(w[..^2]);
        }
        else if (w.Length > 4 && w.EndsWith("ies", StringComparison.Ordinal))
        {
            w = w[..^3] + "y";
        }
        else if (w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) && !w.EndsWith("us", StringComparison.Ordinal))
        {
            w = w[..^1];
        }

        // "collection" meets "collect", "connections" meets "connect".
        if (w.Length > 6 && w.EndsWith("ction", StringComparison.Ordinal))
        {
            w = w[..^3];
        }

        return w.Length > 3 && w.EndsWith('e') ? w[..^1] : w;
    }

    // "logging" meets "log", "stopped" meets "stop": a consonant doubled before -ing or -ed goes (not l, s or z:
    // "installed", "passed"; nor in a stem of three letters: "added" stays "add").
    private static string Undouble(string stem) =>
        stem.Length >= 4 && stem[^1] == stem[^2] && stem[^1] is not ('l' or 's' or 'z' or 'a' or 'e' or 'i' or 'o' or 'u') && char.IsLetter(stem[^1]) ? stem[..^1] : stem;

    private static Dictionary<string, string> Groups(params string[][] groups)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string[] group in groups)
        {
            foreach (string word in group)
            {
                // Keyed by the stem Stem gives before this step (so "removes" and "removed" map too).
                map[StemOnly(word)] = StemOnly(group[0]);
            }
        }

        return map;
    }

    private sealed class Candidate(string text, BlockKind kind, int source, int position, HashSet<string> words, HashSet<string> context, string? lead)
    {
        public string Text { get; } = text;

        public BlockKind Kind { get; } = kind;

        public int Source { get; } = source;

        /// <summary>Reading order over all sources.</summary>
        public int Position { get; } = position;

        public HashSet<string> Words { get; } = words;

        public HashSet<string> Context { get; } = context;

        public string? Lead { get; } = lead;

        /// <summary>For a sentence of prose, its whole paragraph.</summary>
        public string? Paragraph { get; init; }

        /// <summary>The chunk's breadcrumb: the headings above the block, outermost first.</summary>
        public string? Sections { get; init; }

        /// <summary>The nearest section heading, without markup; null under an FAQ question or none.</summary>
        public string? Heading { get; init; }

        /// <summary>Leftovers of flattened tables or markup (chunks stored by older versions) are never quoted; a command may hold a pipe.</summary>
        public bool LooksLikeMarkup { get; } = kind != BlockKind.Code && (text.Contains('|', StringComparison.Ordinal) || text.Contains("```", StringComparison.Ordinal));

        /// <summary>What is embedded: an item or command with its lead-in, so that it reads as a statement.</summary>
        public string EmbeddingText => (Lead ?? Description) is { } lead ? lead + " " + Text : Text;

        /// <summary>A short code block (a command line or two), not a program.</summary>
        public bool IsCommand => Kind == BlockKind.Code && Text.Trim().Count(ch => ch == '\n') < MaxCommandLines;

        /// <summary>The paragraph before a command that says what it does (no colon): context, and quoted with it when the question asks how to.</summary>
        public string? Description { get; init; }

        public double Coverage { get; set; }

        public double Similarity { get; set; }

        public ReadOnlyMemory<float> Vector { get; set; }

        public bool NamesSubject { get; set; }

        public double Score { get; set; }
    }
}
