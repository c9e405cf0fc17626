namespace RagKit.Caching;

/// <summary>
/// Judges whether a freshly generated answer says the same as a cached one. Called only when a verified match rule
/// (<see cref="SemanticMatchRules.Verified"/>) explores a candidate hit: the cache answered "miss", the answer was
/// generated anyway, and the outcome teaches the rule where the cached entry may be served.
/// </summary>
public interface IAnswerVerifier
{
    /// <summary>True when <paramref name="freshAnswer"/> and <paramref name="cachedAnswer"/> give the same answer to <paramref name="question"/>.</summary>
    ValueTask<bool> SameAnswerAsync(string question, string cachedAnswer, string freshAnswer, CancellationToken cancellationToken);
}
