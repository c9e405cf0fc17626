using System.Text;
using RagKit.Ingestion;
using RagKit.Retrieval;

namespace RagKit.Generation;

/// <summary>
/// The answerer used when no chat client is configured: from each of the best sources it takes the sentence
/// that shares the most words with the question, and cites it.
/// </summary>
internal static class ExtractiveAnswerer
{
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "the", "is", "are", "was", "were", "be", "to", "of", "and", "or", "in", "on", "for", "with",
        "what", "which", "who", "how", "why", "when", "where", "do", "does", "did", "can", "i", "it", "its", "my",
        "you", "your", "this", "that", "by", "as", "at", "from", "me", "about",
    };

    public const int MaxSources = 3;

    public static (string Text, List<Citation> Citations) Answer(string question, IReadOnlyList<ChunkMatch> sources)
    {
        if (sources.Count == 0)
        {
            return ("I don't know: no ingested document matches this question.", []);
        }

        HashSet<string> questionWords = Words(question);
        var sb = new StringBuilder();
        var citations = new List<Citation>();
        for (int i = 0; i < Math.Min(MaxSources, sources.Count); i++)
        {
            string best = BestSentence(sources[i].Text, questionWords);
            if (best.Length == 0)
            {
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(best).Append(" [").Append(i + 1).Append(']');
            citations.Add(CitationParser.ToCitation(i + 1, sources[i]));
        }

        return (sb.ToString(), citations);
    }

    private static string BestSentence(string text, HashSet<string> questionWords)
    {
        string best = string.Empty;
        int bestScore = -1;
        foreach (string sentence in SentenceChunker.SplitSentences(text, 1000))
        {
            // Headings, table rows and code fences name or list things; a sentence answers.
            int score = sentence.StartsWith('#') || sentence.StartsWith('|') || sentence.StartsWith("```", StringComparison.Ordinal) ? -100 : 0;
            foreach (string w in Words(sentence))
            {
                if (questionWords.Contains(w))
                {
                    score++;
                }
            }

            if (score > bestScore)
            {
                bestScore = score;
                best = sentence;
            }
        }

        return best;
    }

    private static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool letter = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (letter && start < 0)
            {
                start = i;
            }
            else if (!letter && start >= 0)
            {
                string w = text[start..i];
                if (!StopWords.Contains(w))
                {
                    words.Add(w);
                }

                start = -1;
            }
        }

        return words;
    }
}
