using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;

namespace RagKit.Providers;

/// <summary>
/// The rules of the settings every semantic cache front end shares (the pipeline, the chat middleware, prompt filters
/// of other frameworks), so that a front end in another package accepts exactly what RagKit's own accept.
/// </summary>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public static class SemanticCacheSettingsValidation
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first bad one of the shared settings (its
    /// <see cref="ArgumentException.ParamName"/> is the setting's name: <c>SemanticThreshold</c>, <c>SemanticMatchRule</c>,
    /// <c>Ttl</c> or <c>SlidingExpiration</c>).
    /// </summary>
    /// <param name="semanticThreshold">The similarity threshold; in (0, 1].</param>
    /// <param name="semanticMatchRule">The match rule; required.</param>
    /// <param name="ttl">How long an answer is kept; positive.</param>
    /// <param name="slidingExpiration">Expire-after-access; null (off) or positive.</param>
    public static void Validate(float semanticThreshold, ISemanticMatchRule? semanticMatchRule, TimeSpan ttl, TimeSpan? slidingExpiration) =>
        SemanticCacheSettings.Validate(semanticThreshold, semanticMatchRule, ttl, slidingExpiration);
}
