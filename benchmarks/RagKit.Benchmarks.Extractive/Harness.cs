using System.Text.RegularExpressions;
using RagKit;

/// <summary>What the harness modes share: reading a folder's documents and checking an answer for its key fact.</summary>
internal static class Harness
{
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
