using Microsoft.Extensions.Time.Testing;

namespace RagKit.Redis.Tests;

/// <summary>The breaker's half-open trial on a fake clock: it can never keep the breaker open for good.</summary>
public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan OpenFor = TimeSpan.FromSeconds(5);

    private static (CircuitBreaker Breaker, FakeTimeProvider Time) Opened()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var breaker = new CircuitBreaker(3, OpenFor, time);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(breaker.TryEnter(out long trial));
            breaker.Failure(trial);
        }

        Assert.True(breaker.IsOpen);
        Assert.False(breaker.TryEnter(out _));
        return (breaker, time);
    }

    [Fact]
    public void A_trial_cancelled_by_its_caller_gives_its_slot_back_and_the_next_success_closes_the_breaker()
    {
        (CircuitBreaker breaker, FakeTimeProvider time) = Opened();
        time.Advance(OpenFor);

        Assert.True(breaker.TryEnter(out long trial));
        Assert.NotEqual(0, trial);
        Assert.False(breaker.TryEnter(out _)); // one trial at a time
        breaker.Abandon(trial);                // the caller cancelled it: no outcome

        Assert.True(breaker.TryEnter(out long second));
        Assert.NotEqual(0, second);
        breaker.Success();
        Assert.False(breaker.IsOpen);
        Assert.True(breaker.TryEnter(out long closed));
        Assert.Equal(0, closed);
    }

    [Fact]
    public void A_trial_that_never_reports_is_replaced_after_the_open_duration()
    {
        (CircuitBreaker breaker, FakeTimeProvider time) = Opened();
        time.Advance(OpenFor);
        Assert.True(breaker.TryEnter(out long lost));
        Assert.NotEqual(0, lost);

        time.Advance(OpenFor - TimeSpan.FromTicks(1));
        Assert.False(breaker.TryEnter(out _));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(breaker.TryEnter(out long next));
        Assert.NotEqual(lost, next);

        breaker.Abandon(lost); // the lost trial reporting late does not free the new trial's slot
        Assert.False(breaker.TryEnter(out _));
        breaker.Failure(next);  // a failed trial opens the breaker again for the open duration
        Assert.True(breaker.IsOpen);
        time.Advance(OpenFor - TimeSpan.FromTicks(1));
        Assert.False(breaker.TryEnter(out _));
    }
}
