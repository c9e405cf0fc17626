/// <summary>One question of the development set: its kind (where the answer sits, or "none"), the question, and its key facts (any one counts).</summary>
internal sealed record DevSetQuestion(string Kind, string Question, string[] KeyFacts)
{
    public bool Answerable => Kind != "none";

    public static List<DevSetQuestion> Read(string path) =>
        File.ReadLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(f => new DevSetQuestion(f[0], f[1], f.Length > 2 && f[2].Length > 0 ? f[2].Split("||") : []))
            .ToList();
}
