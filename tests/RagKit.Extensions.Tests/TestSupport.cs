using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagKit.Onnx;

namespace RagKit.Extensions.Tests;

/// <summary>One real MiniLM embedder shared by a test class.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Embedder { get; } = MiniLmEmbeddingGenerator.Create();

    public void Dispose() => Embedder.Dispose();
}

/// <summary>A chat client that counts calls; can hold calls open until released (for single-flight tests).</summary>
public sealed class CountingChatClient : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public TaskCompletionSource? Gate { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int n = Interlocked.Increment(ref _calls);
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"Answer #{n} to: {messages.Last().Text}")) { FinishReason = ChatFinishReason.Stop };
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
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("counting", null, "counting-1") : null;

    public void Dispose()
    {
    }
}

/// <summary>An embedding generator that counts the texts it embeds (vectors from a real MiniLM).</summary>
public sealed class CountingEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private int _texts;

    public int Texts => Volatile.Read(ref _texts);

    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values.ToList();
        Interlocked.Add(ref _texts, list.Count);
        return base.GenerateAsync(list, options, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        // The shared fixture owns the inner embedder.
    }
}
