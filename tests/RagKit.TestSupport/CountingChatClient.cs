using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RagKit.TestSupport;

/// <summary>
/// A chat client that counts calls and answers from the first source, citing it. It can be slow (<see cref="Delay"/>),
/// hold calls open until released (<see cref="Gate"/>, for single-flight tests) and share its count with other
/// instances (the <see cref="StrongBox{T}"/> constructor, for several app instances behind one shared tier).
/// </summary>
public sealed class CountingChatClient : IChatClient
{
    private readonly StrongBox<int> _calls;

    public CountingChatClient()
        : this(new StrongBox<int>(), TimeSpan.FromMilliseconds(20))
    {
    }

    public CountingChatClient(StrongBox<int> calls, TimeSpan delay = default)
    {
        _calls = calls;
        Delay = delay;
    }

    public TimeSpan Delay { get; init; }

    public int Calls => Volatile.Read(ref _calls.Value);

    public string ModelId { get; init; } = "counting-model-1";

    public TaskCompletionSource? Gate { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int n = Interlocked.Increment(ref _calls.Value);
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        string user = messages.Last().Text;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"Generated answer #{n} from the first source [1]. ({user.Length} prompt chars)"))
        {
            FinishReason = ChatFinishReason.Stop,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse r = await GetResponseAsync(messages, options, cancellationToken);
        foreach (string word in r.Text.Split(' '))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ");
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("counting", null, ModelId) : null;

    public void Dispose()
    {
    }
}
