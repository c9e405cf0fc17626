using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RagKit.Qdrant;
using RagKit.Retrieval;
using Xunit;

namespace RagKit.Qdrant.Tests;

/// <summary>The retry backoff runs on the configured <see cref="TimeProvider"/>, so apps and tests control its clock.</summary>
public sealed class QdrantRetryClockTests
{
    private const int RetryEventId = 5002;

    [Fact]
    public async Task Retries_wait_on_the_configured_clock_and_go_on_only_when_it_advances()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var logger = new RecordingLogger();
        IVectorStore store = QdrantVectorStore.Create(
            new QdrantVectorStoreOptions
            {
                Endpoint = new Uri($"http://127.0.0.1:{UnusedPort()}"),
                MaxRetries = 2,
                InitialRetryDelay = TimeSpan.FromHours(1), // far longer than the test may take on the real clock
                Timeout = TimeSpan.FromSeconds(5),
                TimeProvider = time,
            },
            logger);

        Task search = store.SearchAsync(new float[4], new VectorQuery(new RagScope("t"), 3), default).AsTask();

        await WaitForRetriesAsync(logger, 1, search);
        await Task.Delay(200); // real time passes, the fake clock does not: the backoff must not end
        Assert.Equal(1, Retries(logger));
        Assert.False(search.IsCompleted);

        // Each step moves the fake clock past the longest jittered backoff (1.2x); the retries follow it.
        await AdvanceUntilAsync(time, TimeSpan.FromHours(1.25), () => Retries(logger) == 2);
        await AdvanceUntilAsync(time, TimeSpan.FromHours(2.5), () => search.IsCompleted);

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(() => search);
        Assert.Contains("after 3 attempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Through_dependency_injection_the_store_uses_the_container_clock_unless_the_options_name_one()
    {
        var containerClock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(containerClock);
        services.AddRagKit().AddQdrantVectorStore(_ => { });
        using (ServiceProvider sp = services.BuildServiceProvider())
        {
            Assert.Same(containerClock, sp.GetRequiredService<IOptions<QdrantVectorStoreOptions>>().Value.TimeProvider);
        }

        var ownClock = new FakeTimeProvider();
        services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(containerClock);
        services.AddRagKit().AddQdrantVectorStore(o => o.TimeProvider = ownClock);
        using (ServiceProvider sp = services.BuildServiceProvider())
        {
            Assert.Same(ownClock, sp.GetRequiredService<IOptions<QdrantVectorStoreOptions>>().Value.TimeProvider);
        }
    }

    private static int Retries(RecordingLogger logger) => logger.Entries.Count(e => e.EventId.Id == RetryEventId);

    private static async Task WaitForRetriesAsync(RecordingLogger logger, int count, Task search)
    {
        for (int i = 0; i < 1_000 && Retries(logger) < count && !search.IsCompleted; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(count, Retries(logger));
    }

    /// <summary>
    /// Advances the fake clock until the condition holds. The backoff's timer is created just after the retry is logged,
    /// so one advance may come before it; a few more come after. Gives up after ~10 s of real time.
    /// </summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> done)
    {
        for (int i = 0; i < 1_000 && !done(); i++)
        {
            if (i % 50 == 0)
            {
                time.Advance(step);
            }

            await Task.Delay(10);
        }

        Assert.True(done(), "the retry did not follow the fake clock");
    }

    private static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
