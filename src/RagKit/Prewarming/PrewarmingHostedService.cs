using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RagKit.Diagnostics;

namespace RagKit.Prewarming;

/// <summary>
/// Runs one prewarming policy in the background once the host has started (<see cref="IHostedLifecycleService.StartedAsync"/>),
/// and cancels it when the host stops. Never throws at the host: failures are logged.
/// </summary>
internal sealed partial class PrewarmingHostedService(IPrewarmingPolicy policy, Func<IRagPipeline> pipeline, ILogger logger)
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
        RagKitTelemetry.PrewarmedQuestions.Add(1, new KeyValuePair<string, object?>("policy", policy.Name), new KeyValuePair<string, object?>("outcome", failed ? "failed" : "warmed"));
        if (failed)
        {
            LogQuestionFailed(logger, policy.Name, value.Question, value.Error);
        }
    }

    private async Task RunAsync(IRagPipeline rag)
    {
        LogStarted(logger, policy.Name);
        try
        {
            await policy.RunAsync(rag, this, _stopping.Token).ConfigureAwait(false);
            LogFinished(logger, policy.Name, _last.Completed, _last.Failed);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            LogStopped(logger, policy.Name, _last.Completed, _last.Failed);
        }
        catch (Exception ex)
        {
            LogPolicyFailed(logger, policy.Name, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RagKit prewarming '{Policy}' started in the background.")]
    private static partial void LogStarted(ILogger logger, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "RagKit prewarming '{Policy}' finished: {Completed} warmed, {Failed} failed.")]
    private static partial void LogFinished(ILogger logger, string policy, int completed, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "RagKit prewarming '{Policy}' stopped with the host: {Completed} warmed, {Failed} failed.")]
    private static partial void LogStopped(ILogger logger, string policy, int completed, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RagKit prewarming '{Policy}' could not warm '{Question}'; the rest go on.")]
    private static partial void LogQuestionFailed(ILogger logger, string policy, string? question, Exception? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "RagKit prewarming '{Policy}' failed; the pipeline serves as usual without it.")]
    private static partial void LogPolicyFailed(ILogger logger, string policy, Exception error);
}
