namespace RagKit.Caching;

/// <summary>A cache (or one scope of a cache) under a <see cref="CacheMemoryBudget"/>.</summary>
internal interface ICacheBudgetMember
{
    /// <summary>Bytes the member holds now (read without its lock).</summary>
    long BudgetBytes { get; }

    /// <summary>Evicts the entry its policy chooses (takes the member's own lock); false when it holds none.</summary>
    bool EvictOne();
}
