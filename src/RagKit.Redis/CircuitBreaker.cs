namespace RagKit.Redis;

/// <summary>Thrown (and caught by the pipeline, which skips the tier) while the breaker is open.</summary>
internal sealed class RedisTierUnavailableException : Exception
{
    public RedisTierUnavailableException()
        : base("The Redis tier is unavailable (circuit open).")
    {
    }

    public RedisTierUnavailableException(string message)
        : base(message)
    {
    }

    public RedisTierUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// A small circuit breaker: after N consecutive failures it opens for a while, then lets one trial call through;
/// success closes it, failure opens it again. A trial that ends without an outcome (its caller cancelled it, or its
/// result was never reported) gives its slot back: at once through <see cref="Abandon"/>, or by itself after the open
/// duration, so the breaker can never stay open for good.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly int _threshold;
    private readonly TimeSpan _openFor;
    private readonly TimeProvider _time;
    private int _failures;
    private long _openUntil; // ticks; 0 = closed
    private long _trialUntil; // ticks until which the granted half-open trial holds its slot; 0 = none

    public CircuitBreaker(int threshold, TimeSpan openFor, TimeProvider time)
    {
        _threshold = threshold;
        _openFor = openFor;
        _time = time;
    }

    public bool IsOpen => Volatile.Read(ref _openUntil) != 0;

    /// <summary>
    /// True when a call may go to Redis now. <paramref name="trial"/> is non-zero for the half-open trial call; pass it
    /// back to <see cref="Failure"/> or <see cref="Abandon"/>.
    /// </summary>
    public bool TryEnter(out long trial)
    {
        trial = 0;
        long until = Volatile.Read(ref _openUntil);
        if (until == 0)
        {
            return true;
        }

        long now = _time.GetUtcNow().UtcTicks;
        if (now < until)
        {
            return false;
        }

        // Half-open: one trial call at a time; a trial that never reports frees its slot after the open duration.
        long current = Volatile.Read(ref _trialUntil);
        if (current != 0 && now < current)
        {
            return false;
        }

        long mine = now + _openFor.Ticks;
        if (Interlocked.CompareExchange(ref _trialUntil, mine, current) != current)
        {
            return false;
        }

        trial = mine;
        return true;
    }

    public void Success()
    {
        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _openUntil, 0);
        Volatile.Write(ref _trialUntil, 0);
    }

    public void Failure(long trial)
    {
        int n = Interlocked.Increment(ref _failures);
        if (n >= _threshold || trial != 0)
        {
            Volatile.Write(ref _openUntil, (_time.GetUtcNow() + _openFor).UtcTicks);
            Abandon(trial);
        }
    }

    /// <summary>The call ended without an outcome (cancelled by its caller): a trial gives its slot back at once.</summary>
    public void Abandon(long trial)
    {
        if (trial != 0)
        {
            Interlocked.CompareExchange(ref _trialUntil, 0, trial);
        }
    }
}
