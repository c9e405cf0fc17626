using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RagKit.Prewarming;

namespace RagKit.Tests.Prewarming;

/// <summary><c>AddPrewarming</c>: a policy runs in the background once the host has started, and stops with it.</summary>
public sealed class PrewarmingHostingTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Scope = new("acme", "help");

    private ServiceProvider Build(Action<IRagKitBuilder> prewarming)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(fixture.Embedder);
        prewarming(services.AddRagKit());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static async Task<PrewarmingHostedService> StartAsync(ServiceProvider sp)
    {
        var hosted = (PrewarmingHostedService)Assert.Single(sp.GetServices<IHostedService>());
        await hosted.StartingAsync(default);
        await hosted.StartAsync(default);
        await hosted.StartedAsync(default);
        return hosted;
    }

    [Fact]
    public async Task Faq_prewarming_registered_with_the_pipeline_serves_the_curated_answer_from_the_exact_tier_after_startup()
    {
        await using ServiceProvider sp = Build(b => b.AddPrewarming(_ => PrewarmingPolicies.FromFaq(
            [new FaqEntry("Can I return an opened item?", "Yes, within 30 days, in its original packaging.")], Scope)));

        PrewarmingHostedService hosted = await StartAsync(sp);
        await hosted.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        RagAnswer answer = await sp.GetRequiredService<IRagPipeline>().AskAsync("Can I return an opened item?", new AskOptions(Scope));
        Assert.Equal(AnswerTier.Exact, answer.Tier);
        Assert.Equal("Yes, within 30 days, in its original packaging.", answer.Text);
        await hosted.StopAsync(default);
    }

    [Fact]
    public async Task Startup_does_not_wait_for_the_policy_and_stopping_the_host_cancels_it()
    {
        var policy = new BlockingPolicy();
        await using ServiceProvider sp = Build(b => b.AddPrewarming(_ => policy));

        PrewarmingHostedService hosted = await StartAsync(sp);
        await policy.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(hosted.Completion.IsCompleted);

        await hosted.StoppingAsync(default);
        await hosted.StopAsync(default);
        Assert.True(policy.SawCancellation);
        Assert.True(hosted.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_policy_that_fails_as_a_whole_is_logged_and_never_thrown_at_the_host()
    {
        await using ServiceProvider sp = Build(b => b.AddPrewarming(_ => new FailingPolicy()));

        PrewarmingHostedService hosted = await StartAsync(sp);
        await hosted.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(hosted.Completion.IsCompletedSuccessfully);
        await hosted.StopAsync(default);

        // The pipeline is untouched and answers as usual.
        IRagPipeline rag = sp.GetRequiredService<IRagPipeline>();
        await rag.IngestAsync(Scope, [new RagDocument("returns", "Opened items can be returned within 30 days.")]);
        Assert.Equal(AnswerTier.Generated, (await rag.AskAsync("Can I return an opened item?", new AskOptions(Scope))).Tier);
    }

    private sealed class BlockingPolicy : IPrewarmingPolicy
    {
        public TaskCompletionSource Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SawCancellation { get; private set; }

        public string Name => "blocking";

        public async Task RunAsync(IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            Running.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }
        }
    }

    private sealed class FailingPolicy : IPrewarmingPolicy
    {
        public string Name => "failing";

        public Task RunAsync(IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the query log is unreadable");
    }
}
