namespace RagKit.Qdrant.Tests;

/// <summary>One Qdrant wire stand-in (not a real Qdrant server) for all tests of a class.</summary>
public sealed class StandInFixture : IAsyncLifetime
{
    public QdrantWireStandIn Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await QdrantWireStandIn.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
