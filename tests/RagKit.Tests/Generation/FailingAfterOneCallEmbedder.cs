using Microsoft.Extensions.AI;

namespace RagKit.Tests.Generation;

/// <summary>Passes calls to a real embedder; once <see cref="FailAfterNextCall"/> is set, the next call passes and every later one fails.</summary>
public sealed class FailingAfterOneCallEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner) : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _callsLeft = int.MaxValue;

    public bool FailAfterNextCall
    {
        get => _callsLeft != int.MaxValue;
        set => _callsLeft = value ? 1 : int.MaxValue;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_callsLeft != int.MaxValue && _callsLeft-- <= 0)
        {
            throw new InvalidOperationException("embedder is down");
        }

        return inner.GenerateAsync(values, options, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

    public void Dispose()
    {
    }
}
