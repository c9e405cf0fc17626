namespace RagKit.Tiers;

/// <summary>How every front end streams a cached answer: word by word, so callers handle hits and misses the same way.</summary>
internal static class AnswerReplay
{
    /// <summary>The answer in pieces that each end with the space after a word (the last one without).</summary>
    public static IEnumerable<string> Pieces(string text)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ' && i > start)
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }
}
