namespace RagKit.Prewarming;

/// <summary>A cached answer due for refresh (see <see cref="IRefreshAheadSource"/>).</summary>
/// <param name="Scope">The scope the answer was cached under.</param>
/// <param name="Question">The normalized question.</param>
/// <param name="Hits">How often the answer was served.</param>
/// <param name="ExpiresAt">When the answer expires.</param>
public sealed record RefreshCandidate(RagScope Scope, string Question, int Hits, DateTimeOffset ExpiresAt);
