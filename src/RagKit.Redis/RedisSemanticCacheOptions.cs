using RagKit.Caching;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>How question embeddings are compressed in Redis.</summary>
public enum RedisEmbeddingEncoding
{
    /// <summary>IEEE half precision: 2 bytes per dimension, cosine error around 1e-4.</summary>
    Float16 = 1,

    /// <summary>Signed 8-bit with one scale per vector: 1 byte per dimension, cosine error around 1e-3.</summary>
    Int8 = 2,
}

/// <summary>Settings of the shared Redis semantic tier. <see cref="Validate"/> names the setting that is wrong.</summary>
public sealed class RedisSemanticCacheOptions
{
    /// <summary>
    /// Connection settings, passed through as given (endpoints, TLS via <see cref="ConfigurationOptions.Ssl"/>,
    /// ACL user and password via <see cref="ConfigurationOptions.User"/> and <see cref="ConfigurationOptions.Password"/>).
    /// RagKit only sets <c>AbortOnConnectFail = false</c> and a fail-fast backlog so a down Redis is skipped, not waited for.
    /// </summary>
    public ConfigurationOptions? Configuration { get; set; }

    /// <summary>A StackExchange.Redis connection string, used when <see cref="Configuration"/> is null.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>An existing connection to share; the cache does not dispose it. Takes precedence over the other two.</summary>
    public IConnectionMultiplexer? Connection { get; set; }

    /// <summary>Prefix of every key RagKit writes. Default <c>ragkit</c>.</summary>
    public string KeyPrefix { get; set; } = "ragkit";

    /// <summary>Embedding dimensions (384 for all-MiniLM-L6-v2).</summary>
    public int Dimensions { get; set; } = 384;

    /// <summary>How embeddings are stored in Redis. Default <see cref="RedisEmbeddingEncoding.Float16"/>.</summary>
    public RedisEmbeddingEncoding EmbeddingEncoding { get; set; } = RedisEmbeddingEncoding.Float16;

    /// <summary>Most entries per scope; beyond it the eviction policy chooses victims. Default 100 000.</summary>
    public int SemanticCapacityPerScope { get; set; } = 100_000;

    /// <summary>The eviction policy (from the RagKit policy seam). Default LRU.</summary>
    public EvictionPolicyFactory EvictionPolicy { get; set; } = EvictionPolicyFactory.Lru;

    /// <summary>Time budget of one Redis operation; a slower one counts as a failure. Default 50 ms.</summary>
    public TimeSpan TierTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Consecutive failures that open the circuit breaker. Default 3.</summary>
    public int BreakerFailureThreshold { get; set; } = 3;

    /// <summary>How long the breaker stays open before one trial call. Default 5 s.</summary>
    public TimeSpan BreakerOpenDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest stored value in bytes; larger answers are not shared. Default 256 KiB.</summary>
    public int MaxValueBytes { get; set; } = 256 * 1024;

    /// <summary>How often the change stream is polled when idle. Default 10 ms.</summary>
    public TimeSpan StreamPollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Approximate length the change stream is trimmed to. Default 1 000 000.</summary>
    public int StreamMaxLength { get; set; } = 1_000_000;

    /// <summary>
    /// Nearest neighbours taken from the local mirror and re-scored exactly. With a match rule (the pipeline's) all of
    /// them are fetched in the one MGET, because the ones below the threshold are the candidates' answer neighbourhood.
    /// Default 8.
    /// </summary>
    public int Candidates { get; set; } = 8;

    /// <summary>Lease of a distributed single-flight; a holder that dies is replaced after it. Default 30 s.</summary>
    public TimeSpan SingleFlightLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often waiters look for the holder's answer. Default 20 ms.</summary>
    public TimeSpan SingleFlightPollInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How long after its last confirmed read of the change stream this instance still serves cached answers. A read
    /// confirms every version committed before it started; when none succeeded within the window (Redis down, this
    /// instance cut off, the reader starved), every cached tier is bypassed until the reader has caught up again
    /// (consistency over availability: questions are still answered by retrieval and generation). Keep it below the
    /// staleness you accept after an update returns (leaving room for the answer to reach the caller), and above
    /// <see cref="StreamPollInterval"/>. Default 50 ms.
    /// </summary>
    public TimeSpan FreshnessWindow { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a "document is changing" mark holds when its writer never commits (it died or was cut off from Redis);
    /// until then no instance serves or caches answers built from the document, after it the version is learned from
    /// retrieval again. Default 10 s.
    /// </summary>
    public TimeSpan ChangeMarkLifetime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Budget of publishing a change mark or new versions during an ingest or delete. Longer than
    /// <see cref="TierTimeout"/> and not behind the circuit breaker: an update is not latency-critical, and when it
    /// cannot be published the ingest or delete fails. Default 2 s.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock used for TTLs and the breaker.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        if (Connection is null && Configuration is null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("Set one of RedisSemanticCacheOptions.Connection, Configuration or ConnectionString.", nameof(ConnectionString));
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.Length > 64 || KeyPrefix.Contains('{', StringComparison.Ordinal) || KeyPrefix.Contains('}', StringComparison.Ordinal))
        {
            throw new ArgumentException("RedisSemanticCacheOptions.KeyPrefix must be 1 to 64 characters without braces.", nameof(KeyPrefix));
        }

        Check(Dimensions is > 0 and <= 8192, nameof(Dimensions), "must be between 1 and 8192");
        Check(Enum.IsDefined(EmbeddingEncoding), nameof(EmbeddingEncoding), "must be Float16 or Int8");
        Check(SemanticCapacityPerScope > 0, nameof(SemanticCapacityPerScope), "must be positive");
        Check(EvictionPolicy is not null, nameof(EvictionPolicy), "must not be null");
        Check(TierTimeout > TimeSpan.Zero, nameof(TierTimeout), "must be positive");
        Check(BreakerFailureThreshold > 0, nameof(BreakerFailureThreshold), "must be positive");
        Check(BreakerOpenDuration > TimeSpan.Zero, nameof(BreakerOpenDuration), "must be positive");
        Check(MaxValueBytes is >= 1024 and <= 64 * 1024 * 1024, nameof(MaxValueBytes), "must be between 1 KiB and 64 MiB");
        Check(StreamPollInterval > TimeSpan.Zero, nameof(StreamPollInterval), "must be positive");
        Check(StreamMaxLength >= 1000, nameof(StreamMaxLength), "must be at least 1000");
        Check(FreshnessWindow > StreamPollInterval && FreshnessWindow <= TimeSpan.FromMinutes(10), nameof(FreshnessWindow), "must be longer than StreamPollInterval and at most 10 minutes");
        Check(PublishTimeout > TimeSpan.Zero && PublishTimeout < ChangeMarkLifetime, nameof(PublishTimeout), "must be positive and shorter than ChangeMarkLifetime");
        Check(ChangeMarkLifetime >= TimeSpan.FromSeconds(1) && ChangeMarkLifetime <= TimeSpan.FromHours(1), nameof(ChangeMarkLifetime), "must be between 1 second and 1 hour");
        Check(Candidates is > 0 and <= 64, nameof(Candidates), "must be between 1 and 64");
        Check(SingleFlightLease > TimeSpan.Zero, nameof(SingleFlightLease), "must be positive");
        Check(SingleFlightPollInterval > TimeSpan.Zero, nameof(SingleFlightPollInterval), "must be positive");
        Check(TimeProvider is not null, nameof(TimeProvider), "must not be null");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"RedisSemanticCacheOptions.{name} {rule}.", name);
        }
    }
}
