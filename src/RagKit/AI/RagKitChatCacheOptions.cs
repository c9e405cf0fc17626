using Microsoft.Extensions.AI;
using RagKit.Caching;

namespace RagKit.AI;

/// <summary>Settings of <see cref="RagKitCachingChatClient"/>.</summary>
public sealed class RagKitChatCacheOptions
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key whose value scopes cache entries (a tenant). Value <c>"ragkit.tenant"</c>.</summary>
    public const string TenantProperty = "ragkit.tenant";

    /// <summary>The response <see cref="ChatResponse.AdditionalProperties"/> key saying which tier served it: <c>"exact"</c> or <c>"semantic"</c>.</summary>
    public const string TierProperty = "ragkit.tier";

    /// <summary>The response <see cref="ChatResponse.AdditionalProperties"/> key carrying the similarity of a semantic hit.</summary>
    public const string SimilarityProperty = "ragkit.similarity";

    /// <summary>
    /// The response <see cref="ChatResponse.AdditionalProperties"/> (or streaming update) key that opts a response out of
    /// caching: set it to <see langword="true"/> on an answer that is incomplete or must not be reused. Value
    /// <c>"ragkit.incomplete"</c>; the pipeline and the LLamaSharp generator use the same key.
    /// </summary>
    public const string IncompleteProperty = "ragkit.incomplete";

    /// <summary>Cosine similarity at or above which the answer to another (paraphrased) last user message is served. Default 0.90.</summary>
    public float SemanticThreshold { get; set; } = 0.90f;

    /// <summary>
    /// Decides whether the response to a similar message is served. Default <see cref="SemanticMatchRules.Neighbourhood"/>,
    /// as for the pipeline (docs/semantic.md): guards against negations, changed numbers and antonyms, and no hit when
    /// a cached message with a different response is nearly as similar.
    /// </summary>
    public ISemanticMatchRule SemanticMatchRule { get; set; } = SemanticMatchRules.Neighbourhood();

    /// <summary>How long responses are served from cache. Default 1 day.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Expire-after-access: a response not served from the in-process tiers for this long expires before its
    /// <see cref="Ttl"/>. Default null (TTL only).
    /// </summary>
    public TimeSpan? SlidingExpiration { get; set; }

    /// <summary>Capacity of the exact tier, in entries. Default 10,000.</summary>
    public int ExactCapacity { get; set; } = 10_000;

    /// <summary>Byte budget of the exact tier. Default 64 MiB.</summary>
    public long ExactMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Capacity of the in-process semantic tier per scope, in entries. Default 10,000.</summary>
    public int SemanticCapacityPerScope { get; set; } = 10_000;

    /// <summary>Byte budget of the in-process semantic tier per scope (responses plus stored vectors). Default 64 MiB.</summary>
    public long SemanticMaxBytesPerScope { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// One byte budget over every scope of the in-process exact and semantic tiers (the tier scope holding the most bytes
    /// evicts first, by its policy). Default 256 MiB.
    /// </summary>
    public long MaxCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Eviction policy of the in-process tiers. Default LRU.</summary>
    public EvictionPolicyFactory EvictionPolicy { get; set; } = EvictionPolicyFactory.Lru;

    /// <summary>Time budget of a shared semantic tier lookup; a slower or failing tier is skipped. Default 50 ms.</summary>
    public TimeSpan TierTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Derives the cache scope (for example the tenant) of a request. The default reads
    /// <see cref="ChatOptions.AdditionalProperties"/>[<see cref="TenantProperty"/>] and falls back to <c>"default"</c>.
    /// Responses are never served across scopes.
    /// </summary>
    public Func<ChatOptions?, string>? ScopeResolver { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        SemanticCacheSettings.Validate(SemanticThreshold, SemanticMatchRule, Ttl, SlidingExpiration);

        if (ExactCapacity <= 0)
        {
            throw new ArgumentException($"{nameof(ExactCapacity)} must be positive; got {ExactCapacity}.", nameof(ExactCapacity));
        }

        if (ExactMaxBytes <= 0)
        {
            throw new ArgumentException($"{nameof(ExactMaxBytes)} must be positive; got {ExactMaxBytes}.", nameof(ExactMaxBytes));
        }

        if (SemanticCapacityPerScope <= 0)
        {
            throw new ArgumentException($"{nameof(SemanticCapacityPerScope)} must be positive; got {SemanticCapacityPerScope}.", nameof(SemanticCapacityPerScope));
        }

        if (SemanticMaxBytesPerScope <= 0)
        {
            throw new ArgumentException($"{nameof(SemanticMaxBytesPerScope)} must be positive; got {SemanticMaxBytesPerScope}.", nameof(SemanticMaxBytesPerScope));
        }

        if (MaxCacheBytes <= 0)
        {
            throw new ArgumentException($"{nameof(MaxCacheBytes)} must be positive; got {MaxCacheBytes}.", nameof(MaxCacheBytes));
        }

        if (EvictionPolicy is null)
        {
            throw new ArgumentException($"{nameof(EvictionPolicy)} must be set.", nameof(EvictionPolicy));
        }

        if (TierTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(TierTimeout)} must be positive; got {TierTimeout}.", nameof(TierTimeout));
        }
    }
}
