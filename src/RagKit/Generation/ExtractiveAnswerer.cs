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
        var picks = new List<(string Sentence, int Score, int Source)>(MaxSources);
        for (int i = 0; i < Math.Min(MaxSources, sources.Count); i++)
        {
            (string best, int score) = BestSentence(sources[i].Text, questionWords);
            if (best.Length > 0)
            {
                picks.Add((best, score, i));
            }
        }

        // A sentence that shares no word with the question is noise once another one does.
        if (picks.Exists(p => p.Score > 0))
        {
            picks.RemoveAll(p => p.Score <= 0);
        }

        // The most relevant sentence first; citation numbers stay the sources' retrieval ranks.
        picks.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Source.CompareTo(y.Source));
        var sb = new StringBuilder();
        foreach ((string sentence, _, int source) in picks)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(sentence).Append(" [").Append(source + 1).Append(']');
        }

        var citations = new List<Citation>(picks.Count);
        foreach ((_, _, int source) in picks.OrderBy(p => p.Source))
        {
            citations.Add(CitationParser.ToCitation(source + 1, sources[source]));
        }

        return (sb.ToString(), citations);
    }

    private static (string Sentence, int Score) BestSentence(string text, HashSet<string> questionWords)
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

            // A sentence whose subject is a word of the question ("RagKit is ...") says what the question asks about.
            if (score > 0 && sentence.Length > 0 && char.IsLetter(sentence[0]) && questionWords.Contains(FirstWord(sentence)))
            {
                score++;
            }

            if (score > bestScore)
            {
                bestScore = score;
                best = sentence;
            }
        }

        return (best, bestScore);
    }

    private static string FirstWord(string sentence)
    {
        int end = 0;
        while (end < sentence.Length && char.IsLetterOrDigit(sentence[end]))
        {
            end++;
        }

        return sentence[..end];
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
