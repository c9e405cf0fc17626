using RagKit.Caching;

namespace RagKit.Tests;

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
