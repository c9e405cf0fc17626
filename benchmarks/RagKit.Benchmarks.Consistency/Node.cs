using Microsoft.Extensions.AI;
using RagKit.Redis;
using RagKit.Retrieval;

namespace RagKit.Benchmarks.Consistency;

/// <summary>One app instance: a pipeline with its own in-process tiers and its own Redis tier.</summary>
public sealed class Node : IDisposable
{
    private Node(IRedisSemanticCache cache, IRagPipeline pipeline)
    {
        Cache = cache;
        Pipeline = pipeline;
    }

    public IRedisSemanticCache Cache { get; }

    public IRagPipeline Pipeline { get; }

    public static Node Create(string endpoint, string prefix, int windowMs, IVectorStore store, IEmbeddingGenerator<string, Embedding<float>> embedder, IChatClient chat)
    {
        IRedisSemanticCache cache = RedisSemanticCache.Create(new RedisSemanticCacheOptions
        {
            ConnectionString = endpoint,
            KeyPrefix = prefix,
            Dimensions = HashingEmbedder.Dimensions,
            FreshnessWindow = TimeSpan.FromMilliseconds(windowMs),
            ChangeMarkLifetime = TimeSpan.FromSeconds(2),
            PublishTimeout = TimeSpan.FromSeconds(1),

            // A holder whose release failed keeps its lease until it expires; short, so askers do not wait 30 s on it.
            SingleFlightLease = TimeSpan.FromSeconds(2),
        });
        IRagPipeline pipeline = new RagPipelineBuilder()
            .UseEmbeddingGenerator(embedder)
            .UseChatClient(chat)
            .UseVectorStore(store)
            .AddRedisSemanticCache(cache)
            .Configure(o => o.TopK = 1)
            .Build();
        return new Node(cache, pipeline);
    }

    public void Dispose()
    {
        Pipeline.Dispose();
        Cache.Dispose();
    }
}
