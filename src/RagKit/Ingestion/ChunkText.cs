namespace RagKit.Ingestion;

/// <summary>
/// The text of a chunk: an optional first line naming its section (a breadcrumb of the headings above it, and the
/// FAQ question it answers), then its blocks as plain markdown. The breadcrumb travels inside the text so every
/// store keeps it without a format change, is embedded with the chunk, and is shown to generators.
/// </summary>
internal static class ChunkText
{
    /// <summary>Starts the breadcrumb line.</summary>
    public const string SectionMarker = "§ ";

    /// <summary>Separates the headings of a breadcrumb.</summary>
    public const string Separator = " › ";

    /// <summary>Puts a breadcrumb (when there is one) in front of a chunk body.</summary>
    public static string Compose(string? breadcrumb, string body) =>
        string.IsNullOrEmpty(breadcrumb) ? body : string.Concat(SectionMarker, breadcrumb, "\n", body);

    /// <summary>Splits a chunk's text into its breadcrumb (null when it has none) and its body.</summary>
    public static (string? Breadcrumb, string Body) Split(string text)
    {
        if (!text.StartsWith(SectionMarker, StringComparison.Ordinal))
        {
            return (null, text);
        }

        int end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0
            ? (text[SectionMarker.Length..], string.Empty)
            : (text[SectionMarker.Length..end], text[(end + 1)..]);
    }
}
