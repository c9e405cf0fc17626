namespace RagKit.Caching;

/// <summary>A semantic hit.</summary>
/// <param name="Answer">The cached answer.</param>
/// <param name="Similarity">Cosine similarity between the question and the cached question.</param>
public sealed record SemanticCacheHit(CachedAnswer Answer, float Similarity);
