using System.Diagnostics.CodeAnalysis;

namespace RagKit.Caching;

/// <summary>
/// The built-in policies' fast seam (internal; caches detect it once at construction, other policies are driven by
/// key through <see cref="IEvictionPolicy{TKey}"/>). Driving a policy by handle gives exactly the decisions of
/// driving it by key.
/// </summary>
internal interface IHandleEvictionPolicy<TKey> : IEvictionPolicy<TKey>
    where TKey : notnull
{
    /// <summary>As <see cref="IEvictionPolicy{TKey}.OnInserted"/>; returns the entry's handle.</summary>
    EvictionHandle Insert(TKey key, EvictionEntryInfo info);

    /// <summary>As <see cref="IEvictionPolicy{TKey}.OnAccessed"/> for the handle's key; ignored when the policy has forgotten the handle.</summary>
    void OnAccessed(EvictionHandle handle);
}
