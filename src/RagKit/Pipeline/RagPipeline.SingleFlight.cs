using System.Diagnostics;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Tiers;

namespace RagKit;

/// <summary>Single-flight: identical asks in flight wait for one leader, in-process and (with a coordinator) across instances.</summary>
internal sealed partial class RagPipeline
{
    /// <summary>Waits for an identical ask in flight; null when it was cancelled, so the caller runs the ask itself.</summary>
    private static async Task<RagAnswer?> JoinAsync(Task<RagAnswer> running, long start, CancellationToken cancellationToken)
    {
        RagKitTelemetry.SingleFlightJoins.Add(1);
        RagAnswer shared;
        try
        {
            shared = await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        TierReport r = shared.Report;
        return new RagAnswer
        {
            Text = shared.Text,
            Citations = shared.Citations,
            IsExtractive = shared.IsExtractive,
            IsComplete = shared.IsComplete,
            Report = new TierReport
            {
                Tier = r.Tier,
                Similarity = r.Similarity,
                MatchedQuestion = r.MatchedQuestion,
                JoinedInFlight = true,
                Embedding = r.Embedding,
                SemanticLookup = r.SemanticLookup,
                Retrieval = r.Retrieval,
                RetrievalCached = r.RetrievalCached,
                Generation = r.Generation,
                SkippedTiers = r.SkippedTiers,
                Total = Stopwatch.GetElapsedTime(start),
            },
        };
    }

    /// <summary>
    /// On a miss with a cross-process coordinator: one instance generates under a lease, the others wait for its answer.
    /// A coordinator that fails or is slow is skipped: the question is answered by generating here.
    /// </summary>
    private async Task<RagAnswer> GenerateSingleFlightAsync(string question, string normalized, ScopeKey scope, AskOptions options, Prepared prepared, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            (bool answered, string? token) = await _tiers.TryAcquireLeaseAsync(scope, normalized, timings.Skips, cancellationToken).ConfigureAwait(false);
            if (!answered)
            {
                break;
            }

            if (token is not null)
            {
                try
                {
                    return await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // The lease expires by itself if this fails; waiters then take over.
                    await _tiers.ReleaseLeaseAsync(scope, normalized, token, timings.Cached).ConfigureAwait(false);
                }
            }

            (answered, CachedAnswer? waited) = await _tiers.WaitForLeaseholderAsync(scope, normalized, prepared.Vector, timings.Skips, cancellationToken).ConfigureAwait(false);
            if (!answered)
            {
                break;
            }

            if (waited is not null)
            {
                return FromCache(waited, new TierReport
                {
                    Tier = AnswerTier.Generated,
                    JoinedInFlight = true,
                    Embedding = timings.Embedding,
                    SemanticLookup = timings.SemanticLookup,
                    Retrieval = timings.Retrieval,
                    SkippedTiers = timings.Skipped,
                    Total = Stopwatch.GetElapsedTime(start),
                });
            }
        }

        return await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
    }
}
