using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using RagKit.Ingestion;
using RagKit.Retrieval;

namespace RagKit.Generation;

/// <summary>
/// Turns a question and its numbered sources into chat messages. The version is part of every cache scope,
/// so changing the template never serves answers made with another one. Derive from it to use your own.
/// </summary>
public abstract class PromptTemplate
{
    /// <summary>The template RagKit uses unless told otherwise: numbered sources, answers cite them as [1], [2].</summary>
    public static PromptTemplate Default { get; } = new NumberedSourcesTemplate();

    /// <summary>A version string; change it whenever the rendered prompt changes.</summary>
    public abstract string Version { get; }

    /// <summary>
    /// The fixed system text that starts every prompt. Generators that reuse a prompt prefix
    /// (RagKit.LLamaSharp) evaluate it once and start every request from the saved state.
    /// </summary>
    public abstract string SystemPrompt { get; }

    /// <summary>Renders the messages for a question; source <c>i</c> must be shown as number <c>i + 1</c>.</summary>
    public abstract IList<ChatMessage> Render(string question, IReadOnlyList<ChunkMatch> sources);

    private sealed class NumberedSourcesTemplate : PromptTemplate
    {
        public override string Version => "numbered-sources-breadcrumbs-1";

        public override string SystemPrompt =>
            "You answer questions using only the numbered sources provided. " +
            "Cite every source you use by its number in square brackets, like [1] or [2]. " +
            "If the sources do not contain the answer, say that you do not know. Be concise.";

        public override IList<ChatMessage> Render(string question, IReadOnlyList<ChunkMatch> sources)
        {
            var sb = new StringBuilder();
            sb.AppendLine("Sources:");
            for (int i = 0; i < sources.Count; i++)
            {
                // The section breadcrumb tells the model where the passage sits ("Install › Supported platforms").
                (string? section, string body) = ChunkText.Split(sources[i].Text);
                sb.Append('[').Append(i + 1).Append("] ");
                string heading = string.Join(ChunkText.Separator, new[] { sources[i].Title, section }.Where(s => !string.IsNullOrEmpty(s)));
                if (heading.Length > 0)
                {
                    sb.Append(heading).Append(": ");
                }

                sb.AppendLine(body);
            }

            sb.AppendLine().Append("Question: ").AppendLine(question).Append("Answer:");
            return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, sb.ToString())];
        }
    }
}

/// <summary>Maps [n] markers in generated text back to the sources they name.</summary>
internal static partial class CitationParser
{
    public static List<Citation> Parse(string text, IReadOnlyList<ChunkMatch> sources)
    {
        var cited = new List<Citation>();
        var seen = new HashSet<int>();
        foreach (Match m in CitationMarker().Matches(text))
        {
            foreach (string part in m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(part, out int n) && n >= 1 && n <= sources.Count && seen.Add(n))
                {
                    cited.Add(ToCitation(n, sources[n - 1]));
                }
            }
        }

        return cited;
    }

    public static Citation ToCitation(int number, ChunkMatch source) =>
        new(number, source.Document.DocumentId, source.ChunkId, Snippet(source.Text), source.Score);

    // The snippet shows the passage itself; its section breadcrumb is part of the chunk's text, not of what it says.
    private static string Snippet(string text)
    {
        text = ChunkText.Split(text).Body;
        return text.Length <= 160 ? text : string.Concat(text.AsSpan(0, 157), "...");
    }

    [GeneratedRegex(@"\[(\d+(?:\s*,\s*\d+)*)\]")]
    private static partial Regex CitationMarker();
}
