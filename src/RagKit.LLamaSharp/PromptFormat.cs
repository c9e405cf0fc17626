using System.Text;
using Microsoft.Extensions.AI;

namespace RagKit.LLamaSharp;

/// <summary>
/// Renders chat messages as a fixed prefix (all system text: evaluated once and reused) and a per-request suffix.
/// </summary>
internal static class PromptFormat
{
    public static (string Prefix, string Suffix) Render(IEnumerable<ChatMessage> messages)
    {
        var prefix = new StringBuilder();
        var suffix = new StringBuilder();
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Role == ChatRole.System)
            {
                prefix.Append(message.Text).Append('\n');
            }
            else
            {
                var role = message.Role == ChatRole.Assistant ? "Assistant" : "User";
                suffix.Append(role).Append(": ").Append(message.Text).Append('\n');
            }
        }

        suffix.Append("Assistant:");
        return (prefix.ToString(), suffix.ToString());
    }
}
