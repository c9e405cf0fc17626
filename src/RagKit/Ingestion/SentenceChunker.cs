using System.Text;

namespace RagKit.Ingestion;

/// <summary>
/// Splits text into chunks at sentence and paragraph boundaries, packing whole sentences up to a target size
/// and repeating trailing sentences (up to the overlap) at the start of the next chunk.
/// A sentence longer than the target is split at word boundaries.
/// </summary>
internal static class SentenceChunker
{
    public static List<string> Chunk(string text, int chunkSize, int overlap)
    {
        var chunks = new List<string>();
        List<string> sentences = SplitSentences(text, chunkSize);
        var current = new List<string>();
        int length = 0;
        foreach (string sentence in sentences)
        {
            if (length > 0 && length + 1 + sentence.Length > chunkSize)
            {
                chunks.Add(Join(current));

                // Carry trailing sentences that fit the overlap into the next chunk.
                var carried = new List<string>();
                int carriedLength = 0;
                for (int i = current.Count - 1; i >= 0; i--)
                {
                    int add = current[i].Length + (carried.Count > 0 ? 1 : 0);
                    if (carriedLength + add > overlap || carriedLength + add + 1 + sentence.Length > chunkSize)
                    {
                        break;
                    }

                    carried.Insert(0, current[i]);
                    carriedLength += add;
                }

                current = carried;
                length = carriedLength;
            }

            length += (current.Count > 0 ? 1 : 0) + sentence.Length;
            current.Add(sentence);
        }

        if (current.Count > 0)
        {
            chunks.Add(Join(current));
        }

        return chunks;
    }

    // Headings and list items have no end punctuation; a paragraph break keeps them apart when the chunk is split again.
    private static string Join(List<string> sentences)
    {
        var sb = new StringBuilder();
        foreach (string s in sentences)
        {
            if (sb.Length > 0)
            {
                sb.Append(EndsSentence(sb[^1]) ? " " : "\n\n");
            }

            sb.Append(s);
        }

        return sb.ToString();
    }

    private static bool EndsSentence(char c) => c is '.' or '!' or '?' or '。' or ':' or ';' or ')' or '"';

    internal static List<string> SplitSentences(string text, int maxLength)
    {
        var result = new List<string>();
        var sb = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool paragraphBreak = c == '\n' && i + 1 < text.Length && (text[i + 1] == '\n' || text[i + 1] == '\r');
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

            bool endOfSentence = (c is '.' or '!' or '?' or '。') && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1]));
            if (endOfSentence || paragraphBreak)
            {
                Flush(sb, result, maxLength);
            }
        }

        Flush(sb, result, maxLength);
        return result;
    }

    private static void Flush(StringBuilder sb, List<string> result, int maxLength)
    {
        string s = sb.ToString().Trim();
        sb.Clear();
        if (s.Length == 0)
        {
            return;
        }

        while (s.Length > maxLength)
        {
            int cut = s.LastIndexOf(' ', maxLength - 1);
            if (cut <= 0)
            {
                cut = maxLength;
            }

            result.Add(s[..cut].Trim());
            s = s[cut..].Trim();
        }

        if (s.Length > 0)
        {
            result.Add(s);
        }
    }
}
