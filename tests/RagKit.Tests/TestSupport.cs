using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Onnx;

namespace RagKit.Tests;

/// <summary>One real MiniLM embedder shared by a test class (loading the model takes about a second).</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Embedder { get; } = MiniLmEmbeddingGenerator.Create();

    public void Dispose() => Embedder.Dispose();
}

/// <summary>A chat client that counts calls and answers from the first source, citing it; optionally slow.</summary>
public sealed class CountingChatClient : IChatClient
{
    private int _calls;

    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(20);

    public int Calls => Volatile.Read(ref _calls);

    public string ModelId { get; init; } = "counting-model-1";

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        await Task.Delay(Delay, cancellationToken);
        string user = messages.Last().Text;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"Generated answer #{Calls} from the first source [1]. ({user.Length} prompt chars)"));
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

/// <summary>A semantic tier that fails or hangs, to prove a broken tier is skipped.</summary>
public sealed class BrokenSemanticTier(bool hang) : ISemanticAnswerCache
{
    public string Name => hang ? "hanging" : "failing";

    public int Lookups { get; private set; }

    public async ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken)
    {
        Lookups++;
        if (hang)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
        }

        throw new InvalidOperationException("tier is down");
    }

    public async ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
    {
        if (hang)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
        }

        throw new InvalidOperationException("tier is down");
    }

    public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken) => throw new InvalidOperationException("tier is down");

    public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) => throw new InvalidOperationException("tier is down");
}

public static class Corpus
{
    public static RagDocument[] Documents { get; } =
    [
        new("passwords", "To reset your password, open Settings and choose Security. Click 'Reset password' and follow the link we email you. The link expires after 30 minutes."),
        new("shipping", "Standard shipping takes three to five business days. Express shipping arrives the next business day if you order before noon. Shipping is free for orders over 50 euros."),
        new("refunds", "You can return any item within 30 days of delivery for a full refund. Refunds are paid to the original payment method within five business days after we receive the item."),
        new("volcanoes", "Volcanoes form where magma reaches the surface of the Earth. Most volcanoes lie along the boundaries of tectonic plates, such as the Pacific Ring of Fire."),
    ];

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ragkit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
