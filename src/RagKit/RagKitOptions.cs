using RagKit.Caching;

namespace RagKit;

/// <summary>Settings of a RagKit pipeline. Validated when the pipeline is built.</summary>
public sealed class RagKitOptions
{
    /// <summary>Longest question accepted, in characters. Default 2,048.</summary>
    public int MaxQuestionLength { get; set; } = 2048;

    /// <summary>Longest document accepted, in characters. Default 10,000,000.</summary>
    public int MaxDocumentLength { get; set; } = 10_000_000;

    /// <summary>Target chunk size in characters. Default 800.</summary>
    public int ChunkSize { get; set; } = 800;

    /// <summary>Characters of trailing sentences repeated at the start of the next chunk. Default 120.</summary>
    public int ChunkOverlap { get; set; } = 120;

    /// <summary>How many texts are embedded per call during ingestion. Default 32.</summary>
    public int EmbeddingBatchSize { get; set; } = 32;

    /// <summary>How many chunks are retrieved per question. Default 4.</summary>
    public int TopK { get; set; } = 4;

    /// <summary>Chunks scoring below this cosine similarity are not used as sources. Default 0.2.</summary>
    public float MinRetrievalScore { get; set; } = 0.2f;

    /// <summary>
    /// Cosine similarity at or above which a cached answer to a different question may be served on its own (the
    /// <see cref="SemanticMatchRule"/> then decides; the default rule also serves down to its floor, 0.82, when another
    /// nearby question produced the same answer). Default 0.90, chosen with the semantic evaluation harness
    /// (docs/semantic.md, "Shipped defaults", records what other thresholds serve and get wrong).
    /// </summary>
    public float SemanticThreshold { get; set; } = 0.90f;

    /// <summary>
    /// Decides whether a cached answer to a similar question is served. Default
    /// <see cref="SemanticMatchRules.Neighbourhood"/> (floor 0.82, margin 0.12, support 1, guards on, answers compared by embedding at 0.60), chosen with the
    /// semantic evaluation harness (docs/semantic.md): an answer is served only when the question is clearly nearer to it
    /// than to any cached question with a different answer; between the floor and <see cref="SemanticThreshold"/> only
    /// when another nearby question produced the same answer; the lexical guards (negation, antonyms, different
    /// numbers, amounts, dates, swapped word order) apply on top.
    /// </summary>
    public ISemanticMatchRule SemanticMatchRule { get; set; } = SemanticMatchRules.Neighbourhood();

    /// <summary>
    /// Compares a generated answer with the cached answer a verified match rule (<see cref="SemanticMatchRules.Verified"/>)
    /// chose to explore instead of serving; the outcome teaches the rule where that entry may be served. Default null:
    /// no verification (the verified rule then only learns from <see cref="IRagPipeline.ReportWrongAnswerAsync"/>).
    /// </summary>
    public IAnswerVerifier? AnswerVerifier { get; set; }

    /// <summary>
    /// When true, a question served from the in-process semantic tier joins the served answer's cluster: its
    /// embedding is stored as another member of that answer, so later paraphrases of it are matched too. Members count
    /// against <see cref="SemanticCapacityPerScope"/>. Default false: on the BANKING77 stream it raises hits and
    /// wrong hits alike (no gain at a matched wrong-hit rate; see docs/semantic.md).
    /// </summary>
    public bool SemanticAnswerClusters { get; set; }

    /// <summary>Time-to-live of cached answers. Default 1 day.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Expire-after-access (sliding expiration) of the in-process exact and semantic tiers: an answer not served from
    /// a tier for this long expires there before its <see cref="Ttl"/>. Combines with any eviction policy.
    /// Default null (TTL only). The shared Redis tier keeps <see cref="Ttl"/> only.
    /// </summary>
    public TimeSpan? SlidingExpiration { get; set; }

    /// <summary>Capacity of the in-process exact tier, in entries. Default 10,000.</summary>
    public int ExactCapacity { get; set; } = 10_000;

    /// <summary>Byte budget of the in-process exact tier (approximate size of cached answers). Default 64 MiB.</summary>
    public long ExactMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Capacity of the in-process semantic tier per scope, in entries. Default 10,000.</summary>
    public int SemanticCapacityPerScope { get; set; } = 10_000;

    /// <summary>
    /// Byte budget of the in-process semantic tier per scope: each entry counts its answer's approximate size plus its
    /// stored question vector (4 bytes per dimension). Default 64 MiB.
    /// </summary>
    public long SemanticMaxBytesPerScope { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// One byte budget over the in-process answer tiers (exact and semantic) and all their scopes: when what they hold
    /// together exceeds it, the scope (or tier) holding the most bytes gives up the entries its eviction policy chooses,
    /// until the sum fits. The per-tier and per-scope limits still apply within it. Default 256 MiB.
    /// </summary>
    public long MaxCacheBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// How many retrieval results (question → retrieved chunks) the retrieval-result tier keeps per scope; 0 turns the
    /// tier off. A question whose answer is not cached but whose retrieval is skips the vector store.
    /// </summary>
    public int RetrievalCapacityPerScope { get; set; } = 1_024;

    /// <summary>
    /// Cosine similarity at or above which a cached retrieval result serves another question (0..1). Higher than
    /// <see cref="SemanticThreshold"/> by default: a retrieval is reused only for near-identical questions.
    /// </summary>
    public float RetrievalThreshold { get; set; } = 0.95f;

    /// <summary>Eviction policy of the in-process tiers. Default LRU.</summary>
    public EvictionPolicyFactory EvictionPolicy { get; set; } = EvictionPolicyFactory.Lru;

    /// <summary>Time budget of a cache tier lookup; a slower or failing tier is skipped. Default 50 ms.</summary>
    public TimeSpan TierTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Version of the prompt template; part of every cache scope. Set by the generator package or by you.</summary>
    public string PromptTemplateVersion { get; set; } = "default-1";

    /// <summary>Overrides the generator model version taken from the chat client's metadata; part of every cache scope.</summary>
    public string? ModelVersion { get; set; }

    /// <summary>Overrides the embedding model version taken from the embedder's metadata; part of every cache scope.</summary>
    public string? EmbeddingModelVersion { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        Positive(MaxQuestionLength, nameof(MaxQuestionLength));
        Positive(MaxDocumentLength, nameof(MaxDocumentLength));
        Positive(ChunkSize, nameof(ChunkSize));
        if (ChunkOverlap < 0 || ChunkOverlap >= ChunkSize)
        {
            throw new ArgumentException($"{nameof(ChunkOverlap)} must be at least 0 and less than {nameof(ChunkSize)} ({ChunkSize}); got {ChunkOverlap}.", nameof(ChunkOverlap));
        }

        Positive(EmbeddingBatchSize, nameof(EmbeddingBatchSize));
        Positive(TopK, nameof(TopK));
        if (TopK > 100)
        {
            throw new ArgumentException($"{nameof(TopK)} must be at most 100; got {TopK}.", nameof(TopK));
        }

        UnitInterval(SemanticThreshold, nameof(SemanticThreshold));
        UnitInterval(MinRetrievalScore, nameof(MinRetrievalScore));
        if (SemanticMatchRule is null)
        {
            throw new ArgumentException($"{nameof(SemanticMatchRule)} must be set.", nameof(SemanticMatchRule));
        }

        if (Ttl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(Ttl)} must be positive; got {Ttl}.", nameof(Ttl));
        }

        SemanticCacheSettings.SlidingExpiration(SlidingExpiration, nameof(SlidingExpiration));

        Positive(ExactCapacity, nameof(ExactCapacity));
        if (ExactMaxBytes <= 0)
        {
            throw new ArgumentException($"{nameof(ExactMaxBytes)} must be positive; got {ExactMaxBytes}.", nameof(ExactMaxBytes));
        }

        Positive(SemanticCapacityPerScope, nameof(SemanticCapacityPerScope));
        if (SemanticMaxBytesPerScope <= 0)
        {
            throw new ArgumentException($"{nameof(SemanticMaxBytesPerScope)} must be positive; got {SemanticMaxBytesPerScope}.", nameof(SemanticMaxBytesPerScope));
        }

        if (MaxCacheBytes <= 0)
        {
            throw new ArgumentException($"{nameof(MaxCacheBytes)} must be positive; got {MaxCacheBytes}.", nameof(MaxCacheBytes));
        }

        if (RetrievalCapacityPerScope < 0)
        {
            throw new ArgumentException($"{nameof(RetrievalCapacityPerScope)} must not be negative; got {RetrievalCapacityPerScope}.", nameof(RetrievalCapacityPerScope));
        }

        UnitInterval(RetrievalThreshold, nameof(RetrievalThreshold));
        if (EvictionPolicy is null)
        {
            throw new ArgumentException($"{nameof(EvictionPolicy)} must be set.", nameof(EvictionPolicy));
        }

        if (TierTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(TierTimeout)} must be positive; got {TierTimeout}.", nameof(TierTimeout));
        }

        if (string.IsNullOrWhiteSpace(PromptTemplateVersion))
        {
            throw new ArgumentException($"{nameof(PromptTemplateVersion)} must not be empty.", nameof(PromptTemplateVersion));
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name} must be positive; got {value}.", name);
        }
    }

    private static void UnitInterval(float value, string name)
    {
        if (!(value >= 0f && value <= 1f))
        {
            throw new ArgumentException($"{name} must be between 0 and 1; got {value}.", name);
        }
    }
}
