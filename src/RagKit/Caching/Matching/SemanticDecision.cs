namespace RagKit.Caching;

/// <summary>What a verified rule decides for a candidate.</summary>
internal enum SemanticDecision : byte
{
    /// <summary>Not served, not verified.</summary>
    Miss,

    /// <summary>Served from cache.</summary>
    Serve,

    /// <summary>Treated as a miss; the generated answer is compared with the cached one and the outcome recorded.</summary>
    Explore,
}
