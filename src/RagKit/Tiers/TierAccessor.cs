using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RagKit.Diagnostics;
using RagKit.Internal;

namespace RagKit.Tiers;

/// <summary>
/// One shared (out-of-process) tier as every front end calls it: within its time budget, with its metrics and logs.
/// A tier that fails or is slow is skipped, never fatal; the request goes on with the next tier.
/// </summary>
internal sealed class TierAccessor
{
    private readonly TimeSpan _budget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _tierTag;
    private readonly TierTelemetry _telemetry;

    public TierAccessor(string name, TimeSpan budget, TimeProvider time, ILogger logger, TierTelemetry telemetry)
    {
        Name = name;
        _budget = budget;
        _time = time;
        _logger = logger;
        _tierTag = RagKitTelemetry.Tier(name);
        _telemetry = telemetry;
    }

    public string Name { get; }

    /// <summary>A lookup within the budget: null on a miss, and when the tier was skipped (recorded in <paramref name="skips"/>).</summary>
    public async ValueTask<T?> FindAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T?>> find, TierSkips skips, CancellationToken cancellationToken)
        where T : class
    {
        long t = Stopwatch.GetTimestamp();
        try
        {
            ValueTask<T?> pending = find(state, cancellationToken);
            T? hit = pending.IsCompletedSuccessfully
                ? pending.Result
                : await pending.AsTask().WaitAsync(_budget, _time, cancellationToken).ConfigureAwait(false);
            RagKitTelemetry.LookupDuration.Record(Stopwatch.GetElapsedTime(t).TotalMilliseconds, _tierTag);
            return hit;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Skip(ex);
            skips.Add(Name);
            return null;
        }
    }

    /// <summary>A write within the budget; a failing or slow tier is skipped.</summary>
    public async ValueTask StoreAsync<TState>(TState state, Func<TState, CancellationToken, ValueTask> store, CancellationToken cancellationToken)
    {
        try
        {
            ValueTask pending = store(state, cancellationToken);
            if (!pending.IsCompletedSuccessfully)
            {
                await pending.AsTask().WaitAsync(_budget, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Skip(ex);
        }
    }

    /// <summary>
    /// A removal or invalidation: not cut short by the budget (the tier must learn of it), and a failure is logged and
    /// counted as 0 (serving still checks versions, so a stale entry the tier kept is never served).
    /// </summary>
    public async ValueTask<int> UpdateAsync<TState>(TState state, Func<TState, CancellationToken, ValueTask<int>> update, bool countsInvalidations, CancellationToken cancellationToken)
    {
        try
        {
            int n = await update(state, cancellationToken).ConfigureAwait(false);
            if (countsInvalidations)
            {
                _telemetry.Invalidated(Name, n);
            }

            return n;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.TierFailed(_logger, Name, ex);
            return 0;
        }
    }

    /// <summary>A call that is not a lookup or a write (a lease, a wait) within the budget; false when the tier was skipped.</summary>
    public async ValueTask<(bool Answered, T? Result)> CallAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T?>> call, bool withinBudget, TierSkips skips, CancellationToken cancellationToken)
    {
        try
        {
            ValueTask<T?> pending = call(state, cancellationToken);
            T? result = pending.IsCompletedSuccessfully ? pending.Result
                : withinBudget ? await pending.AsTask().WaitAsync(_budget, _time, cancellationToken).ConfigureAwait(false)
                : await pending.ConfigureAwait(false);
            return (true, result);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Skip(ex);
            skips.Add(Name);
            return (false, default);
        }
    }

    /// <summary>A call whose failure only needs logging (releasing a lease: it expires by itself).</summary>
    public async ValueTask RunQuietlyAsync<TState>(TState state, Func<TState, CancellationToken, ValueTask> call)
    {
        try
        {
            await call(state, CancellationToken.None).AsTask().WaitAsync(_budget, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.TierFailed(_logger, Name, ex);
        }
    }

    public void CountHit() => _telemetry.Hit(Name);

    public void CountMiss() => _telemetry.Miss(Name);

    private void Skip(Exception ex)
    {
        string reason = ex is TimeoutException ? RagKitTelemetry.TimeoutReason : RagKitTelemetry.ErrorReason;
        _telemetry.Skipped(Name, reason);
        Log.TierSkipped(_logger, Name, reason, ex);
    }

}
