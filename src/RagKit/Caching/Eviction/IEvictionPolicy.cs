using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// Decides which entry a cache gives up when it is over its entry count or byte budget.
/// </summary>
/// <remarks>
/// The cache calls a policy under its own lock, so implementations need not be thread-safe.
/// Expiry (TTL) is enforced by the cache itself and combines with any policy.
/// </remarks>
/// <typeparam name="TKey">The cache's key type.</typeparam>
public interface IEvictionPolicy<TKey>
    where TKey : notnull
{
    /// <summary>A new entry was inserted.</summary>
    void OnInserted(TKey key, EvictionEntryInfo info);

    /// <summary>An entry was read (a hit).</summary>
    void OnAccessed(TKey key);

    /// <summary>An entry was removed by the cache for a reason other than eviction (expiry, invalidation, replacement).</summary>
    void OnRemoved(TKey key);

    /// <summary>
    /// Chooses an entry to evict and forgets it. A policy with admission control may return the entry just inserted.
    /// </summary>
    /// <returns>False when the policy tracks no entry.</returns>
    bool TryEvict([MaybeNullWhen(false)] out TKey victim);
}
