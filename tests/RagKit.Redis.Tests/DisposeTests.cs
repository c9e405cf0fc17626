using StackExchange.Redis;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>Disposing the tier never waits on Redis; DisposeAsync waits for the follower, asynchronously.</summary>
[Collection("redis")]
public sealed class DisposeTests
{
    [RedisFact]
    public async Task Dispose_returns_at_once_while_the_change_stream_follower_is_stuck_on_a_paused_Redis()
    {
        using var server = new RedisServer();
        RedisSemanticCacheOptions options = Options(server.Endpoint, Prefix());
        options.TierTimeout = TimeSpan.FromSeconds(5); // the follower's read waits up to this on a paused Redis
        var cache = (RedisSemanticCacheImpl)RedisSemanticCache.Create(options);
        await WaitUntilAsync(() => cache.IsCaughtUp, "the change stream to be confirmed");
        using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "8000", "WRITE"); // the follower reads through a script, which WRITE mode holds too
        await Task.Delay(300); // the follower is now inside a read that Redis holds

        // Before: Dispose joined the follower thread, blocking the caller for the read's whole budget.
        Task dispose = Task.Run(cache.Dispose);
        bool returned = dispose.Wait(TimeSpan.FromSeconds(2));
        bool followerStillInRead = !cache.FollowerStopped;
        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");

        Assert.True(returned, "Dispose waited for Redis");
        Assert.True(followerStillInRead, "the follower had already stopped, so this test proved nothing");
        await WaitUntilAsync(() => cache.FollowerStopped, "the follower to stop after the read");
    }

    [RedisFact]
    public async Task DisposeAsync_waits_until_the_follower_has_stopped()
    {
        using var server = new RedisServer();
        var cache = (RedisSemanticCacheImpl)RedisSemanticCache.Create(Options(server.Endpoint, Prefix()));
        await WaitUntilAsync(() => cache.IsCaughtUp, "the change stream to be confirmed");

        await cache.DisposeAsync();

        Assert.True(cache.FollowerStopped);
        cache.Dispose(); // a second disposal is a no-op
    }
}
