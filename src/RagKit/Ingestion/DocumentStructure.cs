using System.Text;
using Markdig;
using Markdig.Extensions.DefinitionLists;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace RagKit.Ingestion;

/// <summary>
/// Reads markdown or plain text into blocks (headings, FAQ questions, prose, list items, table rows, code) with the
/// markup removed, using Markdig's CommonMark parser. Plain text is valid markdown, so one reader serves both.
/// </summary>
internal static partial class DocumentStructure
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseGridTables().UseYamlFrontMatter().UseDefinitionLists().Build();

    /// <summary>Longest line that still counts as an FAQ question.</summary>
    private const int MaxQuestionLength = 200;

    /// <summary>Longest line of plain text that still counts as a heading.</summary>
    private const int MaxTitleLength = 80;

    /// <summary>Reads a document into blocks.</summary>
    /// <param name="text">Markdown or plain text.</param>
    /// <param name="keepInlineCode">Keep backticks around inline code (for chunk text that is read again); false gives plain prose.</param>
    /// <param name="plainTextHeadings">Read short lines of plain text as headings; false for a chunk read back, whose
    /// headings are its breadcrumb already (its first short line, "Applies to: Windows", is no title).</param>
    public static List<StructuredBlock> Read(string text, bool keepInlineCode, bool plainTextHeadings = true)
    {
        MarkdownDocument document = Markdown.Parse(text, Pipeline);
        var reader = new Reader(keepInlineCode);
        reader.Walk(document);
        MarkQuestionParagraphs(reader.Blocks);
        if (plainTextHeadings)
        {
            MarkPlainTextHeadings(reader.Blocks, reader.TitleLines);
        }

        return reader.Blocks;
    }

    // Plain text has no heading marks, but a short line on its own ("Version 5.2.0 - 14 April 2026", "Account FAQ")
    // before a paragraph or a list is one: the first titles the document, the others are its sections.
    private static void MarkPlainTextHeadings(List<StructuredBlock> blocks, HashSet<int> titleLines)
    {
        if (titleLines.Count == 0 || blocks.Exists(b => b.Kind == BlockKind.Heading))
        {
            return;
        }

        for (int i = 0; i + 1 < blocks.Count; i++)
        {
            if (titleLines.Contains(i) && blocks[i].Kind is BlockKind.Prose or BlockKind.Item && (i == 0 || !titleLines.Contains(i + 1)))
            {
                blocks[i] = blocks[i] with { Kind = BlockKind.Heading, Level = i == 0 ? 1 : 2 };
            }
        }
    }

    // A line with no sentence end, short enough to be a title.
    private static bool IsTitleLine(string line) =>
        line.Length is > 1 and <= MaxTitleLength && char.IsLetterOrDigit(line[0]) && line[^1] is not ('.' or '!' or '?' or ':' or ';' or ',')
        && !ContainsSentenceEnd(line);

    // A paragraph that is one short question and is followed by its answer starts an FAQ entry.
    private static void MarkQuestionParagraphs(List<StructuredBlock> blocks)
    {
        for (int i = 0; i + 1 < blocks.Count; i++)
        {
            StructuredBlock b = blocks[i];
            if (b.Kind == BlockKind.Prose && IsQuestionLine(b.Text) && blocks[i + 1].Kind is BlockKind.Prose or BlockKind.Item or BlockKind.Code or BlockKind.Row)
            {
                blocks[i] = b with { Kind = BlockKind.Question };
            }
        }
    }

    // "How do I reset it?", also after a sentence that sets it up ("I deleted a note by mistake. Can I get it back?").
    private static bool IsQuestionLine(string line) =>
        line.Length is > 3 and <= MaxQuestionLength && line[^1] == '?' && char.IsUpper(line[0]) && SentenceEnds(line) <= 1;

    private static bool ContainsSentenceEnd(string line) => SentenceEnds(line) > 0;

    private static int SentenceEnds(string line)
    {
        int ends = 0;
        for (int i = 0; i < line.Length - 1; i++)
        {
            if (line[i] is '.' or '!' or '?' && line[i + 1] == ' ')
            {
                ends++;
            }
        }

        return ends;
    }

    private sealed class Reader(bool keepInlineCode)
    {
        private int _lists;

        /// <summary>The label of the callout whose first paragraph comes next ("Warning"), until it is read.</summary>
        private string? _callout;

        public List<StructuredBlock> Blocks { get; } = [];

        /// <summary>Indexes of the blocks that were a paragraph of one short line without a sentence end.</summary>
        public HashSet<int> TitleLines { get; } = [];

        public void Walk(ContainerBlock container, int listId = 0)
        {
            for (int i = 0; i < container.Count; i++)
            {
                Block block = container[i];
                if (block is ParagraphBlock marker && CalloutName(Inline(marker.Inline, singleLine: false).Trim()) is { } name)
                {
                    // "!!! warning" on its own line, its text indented below it (MkDocs, Python-Markdown): the text
                    // is prose, not code, and reads "Warning: ...".
                    if (i + 1 < container.Count && container[i + 1] is CodeBlock { } body and not FencedCodeBlock)
                    {
                        _callout = name;
                        Walk(Markdown.Parse(body.Lines.ToString(), Pipeline), listId);
                        _callout = null;
                        i++;
                    }

                    continue;
                }

                Visit(block, listId);
            }
        }

        private void Visit(Block block, int listId)
        {
            switch (block)
            {
                case HeadingBlock heading:
                    AddText(BlockKind.Heading, Inline(heading.Inline, singleLine: true), heading.Level);
                    break;
                case YamlFrontMatterBlock:
                    break;
                case CodeBlock code:
                    AddText(BlockKind.Code, code.Lines.ToString().TrimEnd(), 0, listId);
                    break;
                case ParagraphBlock paragraph when BoldLead(paragraph.Inline) is { } lead:
                    // "**The app says the kettle is offline.** — The kettle sleeps after 2 hours." states a problem,
                    // then its fix: the bold sentence labels the rest like an FAQ question, and is never its answer.
                    AddText(BlockKind.Question, lead.Label);
                    AddParagraph(lead.After, listId);
                    break;
                case ParagraphBlock paragraph:
                    AddParagraph(Inline(paragraph.Inline, singleLine: false), listId);
                    break;
                case DefinitionList definitions:
                    // "Tombstone" then ": A record that a file was deleted, kept for 30 days": the term labels its
                    // definition, like an FAQ question its answer.
                    foreach (Block item in definitions)
                    {
                        if (item is DefinitionItem definition)
                        {
                            foreach (Block part in definition)
                            {
                                if (part is DefinitionTerm term)
                                {
                                    AddText(BlockKind.Question, Inline(term.Inline, singleLine: true));
                                }
                                else
                                {
                                    Visit(part, listId);
                                }
                            }
                        }
                    }

                    break;
                case HtmlBlock html when Summary().Match(html.Lines.ToString()) is { Success: true } summary:
                    // "<details><summary>Still failing?</summary>": the summary labels the folded text below it.
                    AddText(BlockKind.Question, Collapse(HtmlTag().Replace(summary.Groups[1].Value, " ")));
                    break;
                case ListBlock { IsOrdered: true, Count: 1 } list when list[0] is ListItemBlock { Count: 1 } only && only[0] is ParagraphBlock p
                    && Inline(p.Inline, singleLine: false) is var numbered && !numbered.Contains('\n', StringComparison.Ordinal) && IsTitleLine(numbered):
                    // "1. Delivery" on its own before its clauses: a numbered section title in plain text, read like a
                    // short line (a heading if the document has no markdown headings), else an item as before.
                    TitleLines.Add(Blocks.Count);
                    AddText(BlockKind.Item, numbered, 0, ++_lists);
                    break;
                case ListBlock list:
                    int id = ++_lists;
                    foreach (Block item in list)
                    {
                        if (item is ListItemBlock listItem)
                        {
                            AddListItem(listItem, id);
                        }
                    }

                    break;
                case Table table:
                    AddTable(table);
                    break;
                case ContainerBlock inner:
                    Walk(inner, listId);
                    break;
                case LeafBlock leaf when leaf.Inline is not null:
                    AddParagraph(Inline(leaf.Inline, singleLine: false), listId);
                    break;
            }
        }

        // A paragraph that opens with a whole sentence in bold and goes on after it: the sentence, and the rest without
        // the dash or colon between them. Null when the bold part is a phrase ("**Note:**") or all there is.
        private (string Label, string After)? BoldLead(ContainerInline? inline)
        {
            if (inline?.FirstChild is not EmphasisInline { DelimiterCount: 2 } bold)
            {
                return null;
            }

            var label = new StringBuilder();
            Append(bold, label, singleLine: true);
            string sentence = Collapse(label.ToString());
            if (sentence.Length > MaxQuestionLength || sentence.Split(' ').Length < 3 || sentence[^1] is not ('.' or '!' or '?'))
            {
                return null;
            }

            var rest = new StringBuilder();
            for (Inline? next = bold.NextSibling; next is not null; next = next.NextSibling)
            {
                AppendOne(next, rest, singleLine: false);
            }

            string after = rest.ToString().TrimStart(' ', '\n', '\t', '—', '–', '-', ':');
            return after.Any(char.IsLetterOrDigit) ? (sentence, after) : null;
        }

        // The item's first paragraph is the item; anything nested under it (a sub-list, code) follows as its own blocks.
        private void AddListItem(ListItemBlock item, int listId)
        {
            bool first = true;
            foreach (Block child in item)
            {
                if (first && child is ParagraphBlock p)
                {
                    // "1. How early can I book?" with its answer on the next line is an FAQ entry, not an item.
                    string text = Inline(p.Inline, singleLine: false);
                    int lineEnd = text.IndexOf('\n', StringComparison.Ordinal);
                    if (lineEnd > 0 && IsQuestionLine(text[..lineEnd].Trim()))
                    {
                        AddParagraph(text, 0);
                    }
                    else
                    {
                        AddText(BlockKind.Item, text, 0, listId);
                    }
                }
                else
                {
                    Visit(child, listId);
                }

                first = false;
            }
        }

        private void AddTable(Table table)
        {
            List<string>? header = null;
            foreach (Block rowBlock in table)
            {
                if (rowBlock is not TableRow row)
                {
                    continue;
                }

                var cells = new List<string>();
                foreach (Block cellBlock in row)
                {
                    var sb = new StringBuilder();
                    if (cellBlock is TableCell cell)
                    {
                        foreach (Block inCell in cell)
                        {
                            if (inCell is LeafBlock { Inline: not null } leaf)
                            {
                                sb.Append(sb.Length > 0 ? " " : "").Append(Inline(leaf.Inline, singleLine: true));
                            }
                        }
                    }

                    cells.Add(Collapse(sb.ToString()));
                }

                if (row.IsHeader && header is null)
                {
                    header = cells;
                    continue;
                }

                string sentence = RowSentence(header, cells);
                if (sentence.Length > 0)
                {
                    AddText(BlockKind.Row, sentence);
                }
            }
        }

        // "Ubuntu: minimum version 20.04; architectures x64 and arm64." The first cell names the row; the header labels the rest.
        private static string RowSentence(List<string>? header, List<string> cells)
        {
            var sb = new StringBuilder();
            int first = cells.FindIndex(c => c.Length > 0);
            if (first < 0)
            {
                return string.Empty;
            }

            sb.Append(cells[first]);
            bool any = false;
            for (int i = first + 1; i < cells.Count; i++)
            {
                if (cells[i].Length == 0)
                {
                    continue;
                }

                sb.Append(any ? "; " : ": ");
                any = true;
                string label = header is not null && i < header.Count ? Label(header[i]) : string.Empty;
                if (label.Length > 0 && !cells[i].StartsWith(label, StringComparison.OrdinalIgnoreCase))
                {
                    sb.Append(label).Append(' ');
                }

                sb.Append(cells[i]);
            }

            if (!EndsWithPunctuation(sb[^1]))
            {
                sb.Append('.');
            }

            return sb.ToString();
        }

        // Header words read as part of the sentence ("Minimum version" -> "minimum version"), acronyms kept ("OS").
        private static string Label(string header)
        {
            if (header.Length < 2 || char.IsUpper(header[1]) || header.Contains('`', StringComparison.Ordinal))
            {
                return header;
            }

            return char.ToLowerInvariant(header[0]) + header[1..];
        }

        private static bool EndsWithPunctuation(char c) => c is '.' or '!' or '?' or ':' or ';';

        // Splits a paragraph at "Q:"/"A:" lines and at a leading question line followed by its answer (plain-text FAQs).
        private void AddParagraph(string text, int listId)
        {
            if (text.Contains(LineSeparator, StringComparison.Ordinal))
            {
                // "<br>" ends a line the way a paragraph does: "4.2 and later<br>Last updated: 3 March 2026".
                foreach (string part in text.Split(LineSeparator))
                {
                    AddParagraph(part, listId);
                }

                return;
            }

            string[] lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 1 && listId == 0 && IsTitleLine(lines[0]) && StripPrefix(lines[0], "A", "Answer") is null)
            {
                TitleLines.Add(Blocks.Count);
            }

            var prose = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (i == 0 && lines.Length > 1 && CalloutName(line) is { } name)
                {
                    // "> **Note**", "> [!WARNING]" or "!!! tip" on its own line above a callout's text: it reads
                    // "Note: ...", not "Note The agent ...", and "!!!" or "[!" is no part of it.
                    _callout = name;
                    continue;
                }

                if (StripPrefix(line, "Q", "Question") is { } question)
                {
                    FlushProse(prose, listId);
                    AddText(BlockKind.Question, question);
                }
                else if (StripPrefix(line, "A", "Answer") is { } answer)
                {
                    FlushProse(prose, listId);
                    prose.Append(answer);
                }
                else if (prose.Length == 0 && i + 1 < lines.Length && IsQuestionLine(line))
                {
                    AddText(BlockKind.Question, line);
                }
                else if (listId == 0 && ClauseNumber().Match(line) is { Success: true } clause)
                {
                    // "1.2 Standard delivery takes 2 to 4 days." A numbered clause of a policy is a paragraph of its
                    // own; its number is a reference, not part of what it says.
                    FlushProse(prose, listId);
                    prose.Append(line[clause.Length..]);
                }
                else
                {
                    prose.Append(prose.Length > 0 ? " " : "").Append(line);
                }
            }

            FlushProse(prose, listId);
        }

        private void FlushProse(StringBuilder prose, int listId)
        {
            if (prose.Length > 0)
            {
                if (_callout is { } name)
                {
                    prose.Insert(0, name + ": ");
                    _callout = null;
                }

                AddText(BlockKind.Prose, Collapse(prose.ToString()), 0, listId);
                prose.Clear();
            }
        }

        private static string? StripPrefix(string line, string shortName, string longName)
        {
            foreach (string name in (ReadOnlySpan<string>)[longName, shortName])
            {
                if (line.Length > name.Length + 1 && line.StartsWith(name, StringComparison.OrdinalIgnoreCase) && line[name.Length] is ':' or '.' or ')')
                {
                    string rest = line[(name.Length + 1)..].Trim();
                    return rest.Length > 0 ? rest : null;
                }
            }

            return null;
        }

        private void AddText(BlockKind kind, string text, int level = 0, int listId = 0)
        {
            text = kind == BlockKind.Code ? text : Collapse(text);
            if (text.Length > 0)
            {
                Blocks.Add(new StructuredBlock(kind, text, level, listId));
            }
        }

        private string Inline(ContainerInline? inline, bool singleLine)
        {
            var sb = new StringBuilder();
            Append(inline, sb, singleLine);
            return sb.ToString();
        }

        private void Append(ContainerInline? container, StringBuilder sb, bool singleLine)
        {
            if (container is null)
            {
                return;
            }

            foreach (Inline inline in container)
            {
                AppendOne(inline, sb, singleLine);
            }
        }

        private void AppendOne(Inline inline, StringBuilder sb, bool singleLine)
        {
            switch (inline)
            {
                case LiteralInline literal:
                    sb.Append(literal.Content.AsSpan());
                    break;
                case CodeInline code when keepInlineCode:
                    sb.Append('`').Append(code.Content).Append('`');
                    break;
                case CodeInline code:
                    // "--workers <n>" in plain prose reads "--workers n": angle brackets would read as markup.
                    sb.Append(code.Content.Contains('<', StringComparison.Ordinal) ? Placeholder().Replace(code.Content, "$1") : code.Content);
                    break;
                case LineBreakInline:
                    sb.Append(singleLine ? ' ' : '\n');
                    break;
                case HtmlEntityInline entity:
                    sb.Append(entity.Transcoded.AsSpan());
                    break;
                case AutolinkInline link:
                    sb.Append(link.Url);
                    break;
                case HtmlInline html when LineBreakTag().IsMatch(html.Tag):
                    sb.Append(singleLine ? ", " : LineSeparator);
                    break;
                case HtmlInline:
                    break;
                case ContainerInline inner:
                    Append(inner, sb, singleLine);
                    break;
            }
        }
    }

    // The name a callout's marker line gives its text: "!!! warning" -> "Warning", "!!! tip \"Faster builds\"" ->
    // "Faster builds", "[!NOTE]" or "Note" on its own line -> "Note"; null for any other line.
    private static string? CalloutName(string line)
    {
        System.Text.RegularExpressions.Match m = AdmonitionMarker().Match(line);
        if (m.Success)
        {
            return m.Groups[3].Success ? m.Groups[3].Value : Capitalized(m.Groups[2].Value);
        }

        m = CalloutLabel().Match(line);
        return m.Success ? Capitalized(m.Groups[2].Value) : null;
    }

    private static string Capitalized(string word) => char.ToUpperInvariant(word[0]) + word[1..].ToLowerInvariant();

    /// <summary>Stands for a "&lt;br&gt;" inside a paragraph's text until the paragraph is split there.</summary>
    private const string LineSeparator = "\u2028";

    // "!!! note", "!!! warning \"Title\"", "??? tip" (a collapsible one): an MkDocs or Python-Markdown admonition.
    [System.Text.RegularExpressions.GeneratedRegex(@"^(!!!|\?\?\?\+?)\s*([A-Za-z][\w-]*)(?:\s+""([^""]+)"")?$")]
    private static partial System.Text.RegularExpressions.Regex AdmonitionMarker();

    // A callout's label on a line of its own: "Note", "Warning:", "[!IMPORTANT]" (a GitHub alert).
    [System.Text.RegularExpressions.GeneratedRegex(@"^(\[!)?(note|notes|tip|tips|hint|important|warning|caution|danger|attention|info|remark)(\])?:?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex CalloutLabel();

    [System.Text.RegularExpressions.GeneratedRegex(@"<summary[^>]*>(.*?)</summary>", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex Summary();

    [System.Text.RegularExpressions.GeneratedRegex(@"<[^>]+>")]
    private static partial System.Text.RegularExpressions.Regex HtmlTag();

    [System.Text.RegularExpressions.GeneratedRegex(@"^<br\s*/?>$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex LineBreakTag();

    // A clause number at the start of a line, before a capitalised word: "1.2 Standard", "4.3.1 Members" (not "2.4 GHz").
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{1,2}(\.\d{1,2})+\.?\s+(?=\p{Lu}\p{Ll}+\b)")]
    private static partial System.Text.RegularExpressions.Regex ClauseNumber();

    // A placeholder in a command line: "<path>", "<KiB/s>".
    [System.Text.RegularExpressions.GeneratedRegex(@"<([A-Za-z][A-Za-z0-9_./-]*)>")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    /// <summary>Collapses runs of whitespace to one space and trims.</summary>
    internal static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (sb.Length > 0 && sb[^1] != ' ')
                {
                    sb.Append(' ');
                }
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString().TrimEnd();
    }
}
