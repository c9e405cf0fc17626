using System.Collections.Concurrent;
using RagKit.Caching;

namespace RagKit.Tests.Tiers;

/// <summary>
/// A shared exact tier in memory, standing in for one that other instances share (Redis in production, tested with a
/// real redis-server in RagKit.Redis.Tests): two front ends given the same instance see each other's answers.
/// </summary>
public sealed class InMemoryExactTier : IExactAnswerCache
{
    private readonly ConcurrentDictionary<(string Scope, string Question), CachedAnswer> _entries = new();

    public string Name => "shared-exact";

    public int Count => _entries.Count;

    public int Lookups { get; private set; }

    public ValueTask<CachedAnswer?> GetAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        Lookups++;
        return ValueTask.FromResult(_entries.TryGetValue((scope.Id, question), out CachedAnswer? a) ? a : null);
    }

    public ValueTask SetAsync(ScopeKey scope, CachedAnswer answer, CancellationToken cancellationToken)
    {
        _entries[(scope.Id, answer.Question)] = answer;
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.TryRemove((scope.Id, question), out _) ? 1 : 0);

    public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        int n = 0;
        foreach (var kv in _entries)
        {
            if (kv.Value.Provenance.Any(p => documents.Contains(p.Document)) && _entries.TryRemove(kv.Key, out _))
            {
                n++;
            }
        }

        return ValueTask.FromResult(n);
    }
}

/// <summary>A shared semantic tier whose lookups miss and whose stores never finish (a hung connection).</summary>
public sealed class HangingStoreSemanticTier : ISemanticAnswerCache
{
    public string Name => "hanging-store";

    public int Stores { get; private set; }

    public ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken) => ValueTask.FromResult<SemanticCacheHit?>(null);

    public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken)
    {
        Stores++;
        return new ValueTask(new TaskCompletionSource().Task); // ignores cancellation too
    }

    public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken) => ValueTask.FromResult(0);

    public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) => ValueTask.FromResult(0);
}
