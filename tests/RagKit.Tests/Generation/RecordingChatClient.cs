using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RagKit.Tests.Generation;

/// <summary>A chat client that keeps the last prompt it was sent and answers by citing source [1].</summary>
public sealed class RecordingChatClient : IChatClient
{
    public string LastPrompt { get; private set; } = string.Empty;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        LastPrompt = string.Join("\n", messages.Select(m => m.Text));
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "As the first source says [1].")));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse r = await GetResponseAsync(messages, options, cancellationToken);
        yield return new ChatResponseUpdate(ChatRole.Assistant, r.Text);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("recording", null, "recording-1") : null;

    public void Dispose()
    {
    }
}
