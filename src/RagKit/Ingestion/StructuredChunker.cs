using System.Text;

namespace RagKit.Ingestion;

/// <summary>
/// Splits markdown or plain text into chunks that follow its structure: a heading or an FAQ question starts a new
/// chunk and becomes part of the breadcrumb of every chunk under it; table rows become labelled sentences; code blocks
/// and list items stay whole. Within a section, whole sentences, items, rows and code blocks are packed up to the
/// target size, and trailing sentences (up to the overlap) are repeated at the start of the next chunk.
/// </summary>
internal static class StructuredChunker
{
    /// <summary>FAQ questions sit below every markdown heading level.</summary>
    private const int QuestionLevel = 7;

    public static List<string> Chunk(string text, int chunkSize, int overlap)
    {
        var chunks = new List<string>();
        var headings = new List<(int Level, string Text)>();
        var pieces = new List<Piece>();
        string? breadcrumb = null;
        int block = 0;
        foreach (StructuredBlock b in DocumentStructure.Read(text, keepInlineCode: true))
        {
            block++;
            if (b.Kind is BlockKind.Heading or BlockKind.Question)
            {
                Flush(chunks, breadcrumb, pieces);
                int level = b.Kind == BlockKind.Question ? QuestionLevel : b.Level;
                headings.RemoveAll(h => h.Level >= level);
                headings.Add((level, b.Text));
                breadcrumb = Breadcrumb(headings, chunkSize / 2);
                continue;
            }

            int budget = Math.Max(chunkSize / 2, chunkSize - (breadcrumb?.Length ?? 0) - ChunkText.SectionMarker.Length - 1);
            foreach (Piece piece in PiecesOf(b, block, budget))
            {
                int length = Length(pieces);
                if (pieces.Count > 0 && length + 2 + piece.Text.Length > budget)
                {
                    List<Piece> carried = Overlap(pieces, overlap, budget - piece.Text.Length - 2);
                    Flush(chunks, breadcrumb, pieces);
                    pieces.AddRange(carried);
                }

                pieces.Add(piece);
            }
        }

        Flush(chunks, breadcrumb, pieces);
        if (chunks.Count == 0 && breadcrumb is not null)
        {
            // A document of headings alone still says something: it is kept as one chunk of its headings.
            chunks.Add(breadcrumb);
        }

        return chunks;
    }

    private static string? Breadcrumb(List<(int Level, string Text)> headings, int maxLength)
    {
        // The nearest headings matter most: drop the outermost ones when the breadcrumb is too long.
        int first = 0;
        while (first < headings.Count - 1 && headings.Skip(first).Sum(h => h.Text.Length + ChunkText.Separator.Length) > maxLength)
        {
            first++;
        }

        string crumb = string.Join(ChunkText.Separator, headings.Skip(first).Select(h => h.Text));
        return crumb.Length > maxLength ? crumb[..maxLength] : crumb;
    }

    private static IEnumerable<Piece> PiecesOf(StructuredBlock b, int block, int budget)
    {
        switch (b.Kind)
        {
            case BlockKind.Prose:
                foreach (string sentence in SentenceChunker.SplitSentences(b.Text, budget))
                {
                    yield return new Piece(b.Kind, sentence, block, b.ListId);
                }

                break;
            case BlockKind.Code when b.Text.Length > 2 * budget:
                // Code stays whole unless it could never fit; then it is cut between lines.
                var part = new StringBuilder();
                foreach (string line in b.Text.Split('\n'))
                {
                    if (part.Length > 0 && part.Length + 1 + line.Length > budget)
                    {
                        yield return new Piece(b.Kind, part.ToString(), block, b.ListId);
                        part.Clear();
                    }

                    part.Append(part.Length > 0 ? "\n" : "").Append(line);
                }

                if (part.Length > 0)
                {
                    yield return new Piece(b.Kind, part.ToString(), block, b.ListId);
                }

                break;
            default:
                yield return new Piece(b.Kind, b.Text, block, b.ListId);
                break;
        }
    }

    private static List<Piece> Overlap(List<Piece> pieces, int overlap, int room)
    {
        var carried = new List<Piece>();
        int length = 0;
        for (int i = pieces.Count - 1; i >= 0; i--)
        {
            if (pieces[i].Kind == BlockKind.Code || length + pieces[i].Text.Length + 2 > Math.Min(overlap, room))
            {
                break;
            }

            carried.Insert(0, pieces[i]);
            length += pieces[i].Text.Length + 2;
        }

        return carried;
    }

    private static int Length(List<Piece> pieces)
    {
        int length = 0;
        foreach (Piece p in pieces)
        {
            length += p.Text.Length + 2;
        }

        return length;
    }

    private static void Flush(List<string> chunks, string? breadcrumb, List<Piece> pieces)
    {
        if (pieces.Count == 0)
        {
            return;
        }

        chunks.Add(ChunkText.Compose(breadcrumb, Render(pieces)));
        pieces.Clear();
    }

    // Sentences of one paragraph share a line; items of one list share a list; everything else is its own paragraph.
    private static string Render(List<Piece> pieces)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pieces.Count; i++)
        {
            Piece p = pieces[i];
            if (i > 0)
            {
                Piece previous = pieces[i - 1];
                bool sameParagraph = p.Kind == BlockKind.Prose && previous.Kind == BlockKind.Prose && p.Block == previous.Block;
                bool sameList = p.Kind == BlockKind.Item && previous.Kind == BlockKind.Item && p.ListId == previous.ListId;
                sb.Append(sameParagraph ? " " : sameList ? "\n" : "\n\n");
            }

            switch (p.Kind)
            {
                case BlockKind.Code:
                    string fence = Fence(p.Text);
                    sb.Append(fence).Append('\n').Append(p.Text).Append('\n').Append(fence);
                    break;
                case BlockKind.Item:
                    sb.Append("- ").Append(Escape(p.Text));
                    break;
                default:
                    bool continuation = i > 0 && p.Kind == BlockKind.Prose && pieces[i - 1].Kind == BlockKind.Prose && p.Block == pieces[i - 1].Block;
                    sb.Append(continuation ? p.Text : Escape(p.Text));
                    break;
            }
        }

        return sb.ToString();
    }

    // A fence longer than any backtick run in the code.
    private static string Fence(string code)
    {
        int longest = 0, run = 0;
        foreach (char c in code)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return new string('`', Math.Max(3, longest + 1));
    }

    // Text that would start a markdown construct when the chunk is read again is escaped.
    private static string Escape(string text)
    {
        if ((text.Length > 0 && text[0] is '#' or '>' or '-' or '+' or '*' or '=' or '|' or '_')
            || text.StartsWith("```", StringComparison.Ordinal) || text.StartsWith("~~~", StringComparison.Ordinal))
        {
            return "\\" + text;
        }

        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        return digits > 0 && digits < text.Length && text[digits] is '.' or ')'
            ? string.Concat(text.AsSpan(0, digits), "\\", text.AsSpan(digits))
            : text;
    }

    private readonly record struct Piece(BlockKind Kind, string Text, int Block, int ListId);
}
