using System.Text.RegularExpressions;

/// <summary>
/// Finds markdown markup left in an answer: table pipes, fences, heading marks, emphasis, bullets, inline code, HTML, links
/// and images, blockquote marks, alert and admonition markers (`[!NOTE]`, `!!! warning`) and footnote references.
/// </summary>
internal static partial class Markup
{
    public static string? Find(string answer)
    {
        Match m = Pattern().Match(answer);
        return m.Success ? m.Value.Trim() : null;
    }

    [GeneratedRegex(@"\||```|~~~|(^|\n)\s*#{1,6}\s|\*\*|__|(^|\n)\s*[-*+]\s|`|</?[a-zA-Z][^>]*>|(^|\s)[*_][^\s*_][^*_]*[*_](\s|$)|!?\[[^\]]+\]\([^)]+\)|\[![A-Za-z]+\]|(^|\n)\s*>\s|(^|\n)\s*!!!\s|\[\^[^\]]+\]")]
    private static partial Regex Pattern();
}
