using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace RagKit.LLamaSharp;

internal sealed record GenerationOutcome(ChatFinishReason FinishReason, bool Incomplete, UsageDetails Usage);

/// <summary>One request travelling from the caller to the decode loop and back.</summary>
internal sealed class GenerationRequest
{
    private int _abandoned;

    public GenerationRequest(string prefix, string suffix, int maxTokens, SamplingSettings sampling, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        CreatedAt = time.GetUtcNow();
        Prefix = prefix;
        Suffix = suffix;
        MaxTokens = maxTokens;
        Sampling = sampling;
        CancellationToken = cancellationToken;
        Deadline = timeout == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : CreatedAt + timeout;
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public DateTimeOffset CreatedAt { get; }

    public string Prefix { get; }

    public string Suffix { get; }

    public int MaxTokens { get; }

    public SamplingSettings Sampling { get; }

    public DateTimeOffset Deadline { get; }

    public CancellationToken CancellationToken { get; }

    public Channel<string> Deltas { get; } = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });

    public TaskCompletionSource<GenerationOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsAbandoned => Volatile.Read(ref _abandoned) != 0 || CancellationToken.IsCancellationRequested;

    public bool IsCompleted => Outcome.Task.IsCompleted;

    public void Abandon() => Volatile.Write(ref _abandoned, 1);

    public void Complete(GenerationOutcome outcome)
    {
        Deltas.Writer.TryComplete();
        Outcome.TrySetResult(outcome);
    }

    public void Fail(Exception exception)
    {
        Deltas.Writer.TryComplete(exception);
        Outcome.TrySetException(exception);
    }

    public void Cancel()
    {
        var exception = new OperationCanceledException(CancellationToken);
        Deltas.Writer.TryComplete(exception);
        Outcome.TrySetCanceled(CancellationToken);
    }
}
