namespace RagKit.Qdrant;

/// <summary>Settings of the Qdrant vector store. <see cref="Validate"/> throws an <see cref="ArgumentException"/> naming the bad setting.</summary>
public sealed class QdrantVectorStoreOptions
{
    /// <summary>The Qdrant gRPC endpoint, e.g. <c>http://localhost:6334</c>. An <c>https</c> scheme (or <see cref="Https"/>) uses TLS.</summary>
    public Uri Endpoint { get; set; } = new("http://localhost:6334");

    /// <summary>Forces TLS even when <see cref="Endpoint"/> says <c>http</c>.</summary>
    public bool Https { get; set; }

    /// <summary>The API key (Qdrant Cloud or a server with <c>service.api_key</c>); null for none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Prefix of every Qdrant collection RagKit creates; lets several apps share one server.</summary>
    public string CollectionPrefix { get; set; } = "ragkit_";

    /// <summary>
    /// Version of the embedding model; part of the Qdrant collection name, so a new model writes to new collections
    /// instead of mixing vectors of different models.
    /// </summary>
    public string EmbeddingModelVersion { get; set; } = "v1";

    /// <summary>When true (the default), writes wait until Qdrant has applied them, so a search right after sees them.</summary>
    public bool WaitForConsistency { get; set; } = true;

    /// <summary>Deadline of one gRPC call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a call that failed transiently (unavailable, deadline exceeded) is retried.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Delay before the first retry; each further retry doubles it (with jitter).</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How many points one upsert call carries at most.</summary>
    public int UpsertBatchSize { get; set; } = 256;

    /// <summary>
    /// When true (the default), a missing collection is created on first write (cosine distance, the vectors' size,
    /// payload indexes on tenant, access groups and document id). When false, a missing collection is an error.
    /// </summary>
    public bool CreateCollections { get; set; } = true;

    /// <summary>
    /// The clock of the retry backoff. Default <see cref="TimeProvider.System"/>; through dependency injection, the
    /// container's <see cref="TimeProvider"/> unless one is set here.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string Prefix = nameof(QdrantVectorStoreOptions) + ".";
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(Endpoint.Host))
        {
            throw new ArgumentException($"{Prefix}{nameof(Endpoint)} must be an absolute http or https URI of the Qdrant gRPC port, such as http://localhost:6334; got '{Endpoint}'.", nameof(Endpoint));
        }

        if (string.IsNullOrWhiteSpace(CollectionPrefix) || !IsCollectionNamePart(CollectionPrefix))
        {
            throw new ArgumentException($"{Prefix}{nameof(CollectionPrefix)} must be non-empty and contain only letters, digits, '_' and '-'; got '{CollectionPrefix}'.", nameof(CollectionPrefix));
        }

        if (string.IsNullOrWhiteSpace(EmbeddingModelVersion) || !IsCollectionNamePart(EmbeddingModelVersion))
        {
            throw new ArgumentException($"{Prefix}{nameof(EmbeddingModelVersion)} must be non-empty and contain only letters, digits, '_' and '-'; got '{EmbeddingModelVersion}'.", nameof(EmbeddingModelVersion));
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{Prefix}{nameof(Timeout)} must be positive; got {Timeout}.", nameof(Timeout));
        }

        if (MaxRetries is < 0 or > 20)
        {
            throw new ArgumentException($"{Prefix}{nameof(MaxRetries)} must be between 0 and 20; got {MaxRetries}.", nameof(MaxRetries));
        }

        if (InitialRetryDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"{Prefix}{nameof(InitialRetryDelay)} must not be negative; got {InitialRetryDelay}.", nameof(InitialRetryDelay));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException($"{Prefix}{nameof(TimeProvider)} must not be null.", nameof(TimeProvider));
        }

        if (UpsertBatchSize is < 1 or > 10_000)
        {
            throw new ArgumentException($"{Prefix}{nameof(UpsertBatchSize)} must be between 1 and 10000; got {UpsertBatchSize}.", nameof(UpsertBatchSize));
        }
    }

    internal static bool IsCollectionNamePart(string s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Creates vector stores over Qdrant.</summary>
public static class QdrantVectorStore
{
    /// <summary>
    /// Creates a store over the Qdrant server in <paramref name="options"/>. No call is made until first use; a
    /// collection is created on first write.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static RagKit.Retrieval.IVectorStore Create(QdrantVectorStoreOptions options, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new QdrantVectorStoreCore(options, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }
}
