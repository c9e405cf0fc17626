using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RagKit.Diagnostics;
using RagKit.Internal;

namespace RagKit.Prewarming;

/// <summary>
/// Runs one prewarming policy in the background once the host has started (<see cref="IHostedLifecycleService.StartedAsync"/>),
/// and cancels it when the host stops. Never throws at the host: failures are logged.
/// </summary>
internal sealed class PrewarmingHostedService(IPrewarmingPolicy policy, Func<IRagPipeline> pipeline, ILogger logger)
    : IHostedLifecycleService, IProgress<PrewarmProgress>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _run = Task.CompletedTask;
    private PrewarmProgress _last;

    /// <summary>The background run; completes when the policy finishes, fails or is cancelled (never faults).</summary>
    internal Task Completion => _run;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // The pipeline is resolved here, not in the constructor, so a bad pipeline setting fails the host's own validation first.
        IRagPipeline rag = pipeline();
        _run = Task.Run(() => RunAsync(rag));
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        await _run.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _stopping.Dispose();

    void IProgress<PrewarmProgress>.Report(PrewarmProgress value)
    {
        bool failed = value.Error is not null || value.Failed > _last.Failed;
        _last = value;
        RagKitTelemetry.PrewarmedQuestions.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Policy, policy.Name), new KeyValuePair<string, object?>(TelemetryTags.Outcome, failed ? RagKitTelemetry.FailedOutcome : RagKitTelemetry.WarmedOutcome));
        if (failed)
        {
            Log.PrewarmingQuestionFailed(logger, policy.Name, value.Question, value.Error);
        }
    }

    private async Task RunAsync(IRagPipeline rag)
    {
        Log.PrewarmingStarted(logger, policy.Name);
        try
        {
            await policy.RunAsync(rag, this, _stopping.Token).ConfigureAwait(false);
            Log.PrewarmingFinished(logger, policy.Name, _last.Completed, _last.Failed);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            Log.PrewarmingStopped(logger, policy.Name, _last.Completed, _last.Failed);
        }
        catch (Exception ex)
        {
            Log.PrewarmingFailed(logger, policy.Name, ex);
        }
    }
}
