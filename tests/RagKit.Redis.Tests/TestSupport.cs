using Microsoft.Extensions.AI;
using RagKit.Caching;
using StackExchange.Redis;

namespace RagKit.Redis.Tests;

public static class TestSupport
{
    public static readonly RagDocument[] Handbook =
    [
        new("vacation", "Employees get 25 vacation days per year. Unused vacation days can be carried over until March."),
        new("expenses", "Travel expenses are reimbursed within 30 days after the receipt is submitted in the expense tool."),
        new("security", "Laptops must use full disk encryption and lock the screen after five minutes of inactivity."),
    ];

    public static RedisSemanticCacheOptions Options(string connection, string prefix) => new()
    {
        ConnectionString = connection,
        KeyPrefix = prefix,
        TierTimeout = TimeSpan.FromMilliseconds(500),
        BreakerOpenDuration = TimeSpan.FromMilliseconds(300),
        StreamPollInterval = TimeSpan.FromMilliseconds(5),

        // Wide enough that a loaded test machine does not close the gate between a test's steps; the tests of the gate
        // itself set their own window.
        FreshnessWindow = TimeSpan.FromSeconds(2),
    };

    public static string Prefix() => "t" + Guid.NewGuid().ToString("N")[..8];

    public static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 5000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Waits until each tier has confirmed the change stream: a new instance serves and stores no cached answer before
    /// its first snapshot of the document versions, which a loaded test machine can delay.
    /// </summary>
    public static Task WaitCaughtUpAsync(params ISemanticAnswerCache[] tiers) =>
        WaitUntilAsync(() => tiers.All(t => t is not IDocumentInvalidationFeed f || f.IsCaughtUp), "the change stream to be confirmed", 15000);

    /// <summary>Waits until each cache has applied everything committed before now (a confirming read began after now).</summary>
    public static async Task SettleAsync(params IRedisSemanticCache[] caches)
    {
        long now = TimeProvider.System.GetTimestamp();
        foreach (IRedisSemanticCache c in caches)
        {
            var impl = (RedisSemanticCacheImpl)c;
            await WaitUntilAsync(() => impl.ConfirmedAt > now, "the change stream to be confirmed", 15000);
        }
    }

    public static async Task<float[]> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> e, string text)
        => (await e.GenerateAsync([QuestionNormalizer.Normalize(text)])).Single().Vector.ToArray();

    public static CachedAnswer Answer(ScopeKey scope, string question, string text, params DocumentKey[] docs) => new()
    {
        Question = QuestionNormalizer.Normalize(question),
        ScopeId = scope.Id,
        Text = text,
        Citations = [new Citation(1, docs.Length > 0 ? docs[0].DocumentId : "d", "c#0", "snippet", 0.9f)],
        Provenance = docs.Select(d => new ProvenanceEntry(d, d.DocumentId + "#0", 42)).ToArray(),
        GenerationCost = TimeSpan.FromSeconds(2),
        CreatedAt = DateTimeOffset.UtcNow,
        ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
    };

    public static ScopeKey Scope(string tenant) => new RagScope(tenant).GetKey("test");

    public static async Task<List<RedisKey>> KeysAsync(string connection, string pattern)
    {
        using ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(connection);
        var keys = new List<RedisKey>();
        foreach (IServer s in mux.GetServers())
        {
            if (!s.IsReplica)
            {
                await foreach (RedisKey k in s.KeysAsync(pattern: pattern))
                {
                    keys.Add(k);
                }
            }
        }

        return keys;
    }
}
