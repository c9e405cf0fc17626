using System.Text.RegularExpressions;
using RagKit;

/// <summary>What the harness modes share: reading a folder's documents and checking an answer for its key fact.</summary>
internal static class Harness
{
    /// <summary>When set (--folder), only these folders of a split are run.</summary>
    public static string[]? Only { get; set; }

    public static IEnumerable<string> Folders(string splitDir) =>
        Directory.GetDirectories(splitDir).Order(StringComparer.Ordinal).Where(f => Only is null || Only.Contains(Path.GetFileName(f)));

    public static RagDocument[] Documents(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => f.EndsWith(".md", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new RagDocument(Path.GetFileName(f), File.ReadAllText(f)) { Title = Path.GetFileNameWithoutExtension(f) })
            .ToArray();

    public static bool ContainsFact(string answer, DevSetQuestion q) =>
        !answer.StartsWith("I don't know", StringComparison.Ordinal)
        && q.KeyFacts.Any(f => Normalize(answer).Contains(Normalize(f), StringComparison.OrdinalIgnoreCase));

    private static string Normalize(string s) => Regex.Replace(s, @"\s+", " ");
}
