using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace RagKit.Benchmarks.Consistency;

/// <summary>A generator stand-in that answers with the version markers of the sources it read, after a set delay.</summary>
public sealed partial class VersionChatClient(TimeSpan delay) : IChatClient
{
    private long _generations;

    public long Generations => Interlocked.Read(ref _generations);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _generations);
        string prompt = messages.Last().Text;
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "From [1]: " + string.Join(' ', Marker().Matches(prompt).Select(m => m.Value))));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("stub", null, "version-echo") : null;

    public void Dispose()
    {
    }

    [GeneratedRegex(@"\[ver:[^\]]+\]")]
    public static partial Regex Marker();
}
