using System.Collections.Concurrent;
using System.Diagnostics;
using RagKit.Caching;
using RagKit.Diagnostics;

namespace RagKit.Tests.Diagnostics;

/// <summary>Traces and metrics name the serving tier with the same values.</summary>
public sealed class TelemetryTagTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    [Fact]
    public async Task The_ask_activity_tags_the_tier_with_the_metrics_value()
    {
        using var testSource = new ActivitySource("RagKit.Tests.Telemetry");
        var tiers = new ConcurrentQueue<(string? Parent, string? Tier)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is RagKitTelemetry.ActivitySourceName or "RagKit.Tests.Telemetry",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == "ragkit.ask")
                {
                    tiers.Enqueue((a.ParentId, a.GetTagItem("ragkit.tier") as string));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).Build();
        var scope = new RagScope("telemetry-tags");
        await rag.IngestAsync(scope, Corpus.Documents);

        using Activity root = testSource.StartActivity("test-root")!;
        RagAnswer generated = await rag.AskAsync("How long do I have to return an item for a refund?", new AskOptions(scope));
        RagAnswer semantic = await rag.AskAsync("How long do I have to return an item to get a refund?", new AskOptions(scope));
        root.Stop();

        Assert.Equal(AnswerTier.Generated, generated.Tier);
        Assert.Equal(AnswerTier.Semantic, semantic.Tier);
        string[] ours = tiers.Where(t => t.Parent == root.Id).Select(t => t.Tier ?? "(none)").ToArray();
        Assert.Equal(new[] { RagKitTelemetry.GeneratedTier, InProcessSemanticCache.TierName }, ours);
    }
}
