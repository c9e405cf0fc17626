using Microsoft.SemanticKernel;

namespace RagKit.SemanticKernel;

/// <summary>Settings of RagKit's prompt cache for Semantic Kernel prompt functions.</summary>
public sealed class RagKitPromptCacheOptions
{
    /// <summary>The kernel argument holding the tenant that scopes entries. Default <c>"tenant"</c>.</summary>
    public string TenantArgument { get; set; } = "tenant";

    /// <summary>
    /// The kernel argument whose text is the semantic key (the user's question). Default <c>"input"</c>.
    /// When a function has no such argument, the rendered prompt is the key. The other arguments are part of the scope.
    /// </summary>
    public string QuestionArgument { get; set; } = "input";

    /// <summary>Cosine similarity at or above which a cached result for a paraphrase is served. Default 0.90.</summary>
    public float SemanticThreshold { get; set; } = 0.90f;

    /// <summary>
    /// Decides whether the result for a similar question is served. Default
    /// <see cref="RagKit.Caching.SemanticMatchRules.Neighbourhood"/>, as for the pipeline (docs/semantic.md).
    /// </summary>
    public RagKit.Caching.ISemanticMatchRule SemanticMatchRule { get; set; } = RagKit.Caching.SemanticMatchRules.Neighbourhood();

    /// <summary>How long results are served. Default 1 day.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Expire-after-access: a result not served for this long expires before its <see cref="Ttl"/>. Default null (TTL only).</summary>
    public TimeSpan? SlidingExpiration { get; set; }

    /// <summary>Capacity of the exact tier, in entries. Default 10,000.</summary>
    public int ExactCapacity { get; set; } = 10_000;

    /// <summary>Byte budget of the exact tier. Default 64 MiB.</summary>
    public long ExactMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Capacity of the in-process semantic tier per scope, in entries. Default 10,000.</summary>
    public int SemanticCapacityPerScope { get; set; } = 10_000;

    /// <summary>Byte budget of the in-process semantic tier per scope (results plus stored vectors). Default 64 MiB.</summary>
    public long SemanticMaxBytesPerScope { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// One byte budget over every scope of the in-process exact and semantic tiers (the tier scope holding the most bytes
    /// evicts first, by its policy). Default 256 MiB.
    /// </summary>
    public long MaxCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Eviction policy of the in-process tiers. Default LRU.</summary>
    public RagKit.Caching.EvictionPolicyFactory EvictionPolicy { get; set; } = RagKit.Caching.EvictionPolicyFactory.Lru;

    /// <summary>Time budget of each call to a shared tier (from the kernel's services); a slower or failing tier is skipped. Default 50 ms.</summary>
    public TimeSpan TierTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Decides whether a function is cached; the default caches every prompt function.</summary>
    public Func<KernelFunction, bool>? Filter { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
#pragma warning disable RAGKIT001 // provider services: the semantic settings rules RagKit's own front ends apply
        RagKit.Providers.SemanticCacheSettingsValidation.Validate(SemanticThreshold, SemanticMatchRule, Ttl, SlidingExpiration);
#pragma warning restore RAGKIT001

        Positive(ExactCapacity, nameof(ExactCapacity));
        Positive(ExactMaxBytes, nameof(ExactMaxBytes));
        Positive(SemanticCapacityPerScope, nameof(SemanticCapacityPerScope));
        Positive(SemanticMaxBytesPerScope, nameof(SemanticMaxBytesPerScope));
        Positive(MaxCacheBytes, nameof(MaxCacheBytes));

        if (EvictionPolicy is null)
        {
            throw new ArgumentException($"{nameof(EvictionPolicy)} must be set.", nameof(EvictionPolicy));
        }

        if (TierTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(TierTimeout)} must be positive; got {TierTimeout}.", nameof(TierTimeout));
        }

        if (string.IsNullOrWhiteSpace(TenantArgument))
        {
            throw new ArgumentException($"{nameof(TenantArgument)} must not be empty.", nameof(TenantArgument));
        }

        if (string.IsNullOrWhiteSpace(QuestionArgument))
        {
            throw new ArgumentException($"{nameof(QuestionArgument)} must not be empty.", nameof(QuestionArgument));
        }
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name} must be positive; got {value}.", name);
        }
    }
}
