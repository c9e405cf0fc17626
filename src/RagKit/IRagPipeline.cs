namespace RagKit;

/// <summary>
/// A RAG pipeline with tiered answer caching: ask questions, ingest and delete documents.
/// Thread-safe; create one per application (or per keyed configuration) and share it.
/// </summary>
public interface IRagPipeline : IDisposable
{
    /// <summary>Answers a question: from the exact tier, the semantic tiers, or by retrieval and generation.</summary>
    /// <exception cref="ArgumentException">The question is null, empty, whitespace or too long.</exception>
    ValueTask<RagAnswer> AskAsync(string question, AskOptions options, CancellationToken cancellationToken = default);

    /// <summary>Answers a question as a stream of text; the last update carries the complete answer and its report.
    /// Cached answers are replayed as a stream too.</summary>
    /// <exception cref="ArgumentException">The question is null, empty, whitespace or too long.</exception>
    IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(string question, AskOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds or replaces documents in the scope's tenant and collection. Every cached answer built from a replaced
    /// document stops being served, in every tier. The whole batch is validated before anything is written.
    /// </summary>
    /// <exception cref="ArgumentException">A document is null, has no text, is too long, or two share an id.</exception>
    Task<IngestResult> IngestAsync(RagScope scope, IEnumerable<RagDocument> documents, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes documents; every cached answer built from them stops being served. Returns how many existed.</summary>
    Task<int> DeleteDocumentsAsync(RagScope scope, IEnumerable<string> documentIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports that the answer to <paramref name="question"/> in this scope was wrong: it is removed from every
    /// tier so the next ask generates anew. Returns how many cache entries were removed.
    /// </summary>
    Task<int> ReportWrongAnswerAsync(string question, AskOptions options, CancellationToken cancellationToken = default);
}
