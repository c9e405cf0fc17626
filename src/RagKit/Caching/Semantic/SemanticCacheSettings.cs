namespace RagKit.Caching;

/// <summary>Checks of the settings every semantic cache front end shares (pipeline middleware and prompt filters).</summary>
internal static class SemanticCacheSettings
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad one of the shared settings.</summary>
    public static void Validate(float semanticThreshold, ISemanticMatchRule? semanticMatchRule, TimeSpan ttl, TimeSpan? slidingExpiration)
    {
        if (!(semanticThreshold > 0f && semanticThreshold <= 1f))
        {
            throw new ArgumentException($"SemanticThreshold must be greater than 0 and at most 1; got {semanticThreshold}.", "SemanticThreshold");
        }

        if (semanticMatchRule is null)
        {
            throw new ArgumentException("SemanticMatchRule must be set.", "SemanticMatchRule");
        }

        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Ttl must be positive; got {ttl}.", "Ttl");
        }

        SlidingExpiration(slidingExpiration, "SlidingExpiration");
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless an expire-after-access setting is null (off) or positive.</summary>
    public static void SlidingExpiration(TimeSpan? slidingExpiration, string name)
    {
        if (slidingExpiration is { } idle && idle <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive or null (off); got {idle}.", name);
        }
    }
}
