using System.Text;
using Markdig;
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
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseGridTables().UseYamlFrontMatter().Build();

    /// <summary>Longest line that still counts as an FAQ question.</summary>
    private const int MaxQuestionLength = 200;

    /// <summary>Longest line of plain text that still counts as a heading.</summary>
    private const int MaxTitleLength = 80;

    /// <summary>Reads a document into blocks.</summary>
    /// <param name="text">Markdown or plain text.</param>
    /// <param name="keepInlineCode">Keep backticks around inline code (for chunk text that is read again); false gives plain prose.</param>
    public static List<StructuredBlock> Read(string text, bool keepInlineCode)
    {
        MarkdownDocument document = Markdown.Parse(text, Pipeline);
        var reader = new Reader(keepInlineCode);
        reader.Walk(document);
        MarkQuestionParagraphs(reader.Blocks);
        MarkPlainTextHeadings(reader.Blocks, reader.TitleLines);
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

        public List<StructuredBlock> Blocks { get; } = [];

        /// <summary>Indexes of the blocks that were a paragraph of one short line without a sentence end.</summary>
        public HashSet<int> TitleLines { get; } = [];

        public void Walk(ContainerBlock container, int listId = 0)
        {
            foreach (Block block in container)
            {
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
            string[] lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 1 && listId == 0 && IsTitleLine(lines[0]) && StripPrefix(lines[0], "A", "Answer") is null)
            {
                TitleLines.Add(Blocks.Count);
            }

            var prose = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
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
                case HtmlInline:
                    break;
                case ContainerInline inner:
                    Append(inner, sb, singleLine);
                    break;
            }
        }
    }

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
