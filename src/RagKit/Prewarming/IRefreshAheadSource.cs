namespace RagKit.Prewarming;

/// <summary>
/// A pipeline whose hot cached answers can be refreshed before they expire. Pipelines built by
/// <see cref="RagPipelineBuilder"/> implement it; <see cref="PrewarmingPolicies.RefreshAhead"/> and policies of your own
/// use it, so a decorator around <see cref="IRagPipeline"/> keeps refresh-ahead by forwarding these two calls.
/// </summary>
public interface IRefreshAheadSource
{
    /// <summary>
    /// The cached answers served at least <paramref name="minHits"/> times whose remaining lifetime is at most
    /// <paramref name="withinFraction"/> of their time to live (curated answers are never included).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minHits"/> is negative, or
    /// <paramref name="withinFraction"/> is not between 0 and 1.</exception>
    IReadOnlyList<RefreshCandidate> GetRefreshCandidates(int minHits, double withinFraction);

    /// <summary>
    /// Regenerates the answer from fresh retrieval, bypassing the cache lookups, and writes it back to every tier.
    /// Returns false when it could not be (no sources any more, the answer was incomplete, or a refresh of the same
    /// question is already running).
    /// </summary>
    Task<bool> RefreshAsync(RefreshCandidate candidate, CancellationToken cancellationToken = default);
}
