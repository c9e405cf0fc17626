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
/// success closes it, failure opens it again.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly int _threshold;
    private readonly TimeSpan _openFor;
    private readonly TimeProvider _time;
    private int _failures;
    private long _openUntil; // ticks; 0 = closed
    private int _trial;

    public CircuitBreaker(int threshold, TimeSpan openFor, TimeProvider time)
    {
        _threshold = threshold;
        _openFor = openFor;
        _time = time;
    }

    public bool IsOpen => Volatile.Read(ref _openUntil) != 0;

    /// <summary>True when a call may go to Redis now.</summary>
    public bool TryEnter()
    {
        long until = Volatile.Read(ref _openUntil);
        if (until == 0)
        {
            return true;
        }

        if (_time.GetUtcNow().UtcTicks < until)
        {
            return false;
        }

        // Half-open: one trial call at a time.
        return Interlocked.CompareExchange(ref _trial, 1, 0) == 0;
    }

    public void Success()
    {
        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _openUntil, 0);
        Volatile.Write(ref _trial, 0);
    }

    public void Failure()
    {
        int n = Interlocked.Increment(ref _failures);
        if (n >= _threshold || Volatile.Read(ref _trial) == 1)
        {
            Volatile.Write(ref _openUntil, (_time.GetUtcNow() + _openFor).UtcTicks);
            Volatile.Write(ref _trial, 0);
        }
    }
}
