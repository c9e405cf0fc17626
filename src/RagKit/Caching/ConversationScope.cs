using System.Collections.Frozen;
using System.IO.Hashing;
using System.Text;

namespace RagKit.Caching;

/// <summary>
/// Multi-turn scoping: a question that depends on the conversation ("how old is he?") is cached under its scope plus
/// a digest of the conversation context, so it is never answered from another conversation.
/// </summary>
internal static class ConversationScope
{
    private static readonly FrozenSet<string> ContextWords = FrozenSet.ToFrozenSet(
    [
        "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
        "theirs", "themselves", "this", "that", "these", "those", "there", "then", "former", "latter", "above",
        "same", "such", "one", "ones", "else", "other", "another", "previous", "aforementioned", "here",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> EllipsisStarts = FrozenSet.ToFrozenSet(
    [
        "and", "but", "or", "also", "what about", "how about", "and what about", "why", "why not", "really", "so",
    ], StringComparer.Ordinal);

    /// <summary>The version stamp extended with the conversation digest when the question depends on it.</summary>
    public static string Stamp(string versionStamp, string question, IReadOnlyList<string>? context, bool? dependsOnContext)
    {
        if (context is null || context.Count == 0)
        {
            return versionStamp;
        }

        bool depends = dependsOnContext ?? DependsOnContext(question);
        return depends ? $"{versionStamp};conversation={Digest(context)}" : versionStamp;
    }

    /// <summary>A pronoun, demonstrative or leading conjunction ("and in 2020?") marks a follow-up question.</summary>
    public static bool DependsOnContext(string question)
    {
        List<string> tokens = QuestionGuards.Tokenize(question);
        if (tokens.Count == 0)
        {
            return false;
        }

        if (tokens.Count <= 3 || EllipsisStarts.Contains(tokens[0]) || (tokens.Count > 1 && EllipsisStarts.Contains(tokens[0] + " " + tokens[1])))
        {
            return true;
        }

        foreach (string t in tokens)
        {
            if (ContextWords.Contains(t))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>XxHash128 of the normalized turns, hex.</summary>
    public static string Digest(IReadOnlyList<string> context)
    {
        var hash = new XxHash128();
        foreach (string turn in context)
        {
            hash.Append(Encoding.UTF8.GetBytes(QuestionNormalizer.Normalize(turn ?? string.Empty)));
            hash.Append([0x1e]);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
