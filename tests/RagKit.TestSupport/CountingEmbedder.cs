using Microsoft.Extensions.AI;

namespace RagKit.TestSupport;

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
