using RagKit.Caching;
using RagKit.Diagnostics;

namespace RagKit.Tiers;

public sealed partial class TierEngine
{
    /// <summary>
    /// Cross-process single-flight, step 1: tries to take the lease on generating this answer. Answered is false when
    /// there is no coordinator, or it failed or was slow (skipped: the caller generates on its own).
    /// </summary>
    internal async ValueTask<(bool Answered, string? Token)> TryAcquireLeaseAsync(ScopeKey scope, string normalizedQuestion, TierSkips skips, CancellationToken cancellationToken)
    {
        if (_singleFlight is null)
        {
            return (false, null);
        }

        return await _singleFlight.CallAsync(
            (Coordinator: SingleFlight!, scope, normalizedQuestion),
            static (s, ct) => s.Coordinator.TryAcquireAsync(s.scope, s.normalizedQuestion, ct),
            withinBudget: true,
            skips,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Step 2 for the leaseholder: releases the lease and publishes the answer (null when it was not cacheable).</summary>
    internal ValueTask ReleaseLeaseAsync(ScopeKey scope, string normalizedQuestion, string token, CachedAnswer? answer) =>
        _singleFlight is null ? ValueTask.CompletedTask : _singleFlight.RunQuietlyAsync(
            (Coordinator: SingleFlight!, scope, normalizedQuestion, token, answer),
            static (s, ct) => s.Coordinator.ReleaseAsync(s.scope, s.normalizedQuestion, s.token, s.answer, ct));

    /// <summary>
    /// Step 2 for the others: waits for the leaseholder's answer (the coordinator bounds the wait by the lease). The answer
    /// is returned only when it passes the checks of a served answer, and it is promoted into the in-process tiers.
    /// Answered is false when the coordinator failed (skipped).
    /// </summary>
    internal async ValueTask<(bool Answered, CachedAnswer? Answer)> WaitForLeaseholderAsync(ScopeKey scope, string normalizedQuestion, ReadOnlyMemory<float> questionEmbedding, TierSkips skips, CancellationToken cancellationToken)
    {
        if (_singleFlight is null)
        {
            return (false, null);
        }

        (bool answered, CachedAnswer? waited) = await _singleFlight.CallAsync(
            (Coordinator: SingleFlight!, scope, normalizedQuestion),
            static (s, ct) => s.Coordinator.WaitForAnswerAsync(s.scope, s.normalizedQuestion, ct),
            withinBudget: false,
            skips,
            cancellationToken).ConfigureAwait(false);
        if (!answered || waited is null || !IsServable(waited, scope))
        {
            return (answered, null);
        }

        RagKitTelemetry.SingleFlightJoins.Add(1);
        CachedAnswer promoted = Rekey(waited, normalizedQuestion);
        LocalExact.Set(scope, promoted);
        if (!questionEmbedding.IsEmpty)
        {
            await LocalSemantic.StoreAsync(scope, questionEmbedding, promoted, cancellationToken).ConfigureAwait(false);
        }

        return (true, waited);
    }
}
