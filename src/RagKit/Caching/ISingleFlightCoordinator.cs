namespace RagKit.Caching;

/// <summary>
/// Coordinates generation across processes: when several instances miss on the same question at once,
/// one holds a lease and generates, the others wait for its answer.
/// </summary>
public interface ISingleFlightCoordinator
{
    /// <summary>Tries to take the lease for a question; returns a lease token, or null when another holder has it.</summary>
    ValueTask<string?> TryAcquireAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the holder's answer. Returns it when published; null when the lease was released or expired without
    /// an answer (the caller then tries to take the lease itself).
    /// </summary>
    ValueTask<CachedAnswer?> WaitForAnswerAsync(ScopeKey scope, string question, CancellationToken cancellationToken);

    /// <summary>Publishes the answer (null when there is none to share) and releases the lease.</summary>
    ValueTask ReleaseAsync(ScopeKey scope, string question, string leaseToken, CachedAnswer? answer, CancellationToken cancellationToken);
}
