using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;

namespace RagKit.Tiers;

/// <summary>An answer a cache tier served.</summary>
/// <param name="Answer">The cached answer, checked against the scope, its expiry and its sources' versions.</param>
/// <param name="Tier">The name of the tier that served it (the metrics' <c>tier</c> tag).</param>
/// <param name="Similarity">The cosine similarity of the matched question; 1 for an exact hit.</param>
[Experimental(TierEngine.DiagnosticId)]
public sealed record TierHit(CachedAnswer Answer, string Tier, float Similarity);
