namespace RagKit;

/// <summary>A document to ingest. Ingesting the same id again replaces the document.</summary>
public sealed class RagDocument
{
    private readonly string? _title;

    /// <summary>Creates a document.</summary>
    /// <param name="id">Unique within its tenant and collection.</param>
    /// <param name="text">The document's text.</param>
    /// <exception cref="ArgumentException">The id is null, empty, too long or not valid UTF-16, or the text is null,
    /// empty, whitespace or not valid UTF-16. To remove a document, use <see cref="IRagPipeline.DeleteDocumentsAsync"/>.</exception>
    public RagDocument(string id, string text)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("A document id must not be null, empty or whitespace.", nameof(id));
        }

        if (id.Length > 512)
        {
            throw new ArgumentException($"A document id must be at most 512 characters; got {id.Length}.", nameof(id));
        }

        Internal.TextValidation.ThrowIfInvalidUtf16(id, nameof(id), "The document id");
        if (string.IsNullOrWhiteSpace(text))
        {
            // An empty document would be stored with no chunks and never be found; a deletion is explicit.
            throw new ArgumentException(text is null
                ? $"The text of document '{id}' must not be null."
                : $"The text of document '{id}' is empty or whitespace; to remove a document, use DeleteDocumentsAsync.", nameof(text));
        }

        Internal.TextValidation.ThrowIfInvalidUtf16(text, nameof(text), $"The text of document '{id}'");
        Id = id;
        Text = text;
    }

    /// <summary>The document id.</summary>
    public string Id { get; }

    /// <summary>The document text.</summary>
    public string Text { get; }

    /// <summary>An optional title, shown with citations.</summary>
    /// <exception cref="ArgumentException">The title is not valid UTF-16 (a lone surrogate).</exception>
    public string? Title
    {
        get => _title;
        init
        {
            if (value is not null)
            {
                Internal.TextValidation.ThrowIfInvalidUtf16(value, nameof(Title), $"The title of document '{Id}'");
            }

            _title = value;
        }
    }

    /// <summary>
    /// Groups allowed to read the document. Null takes the ingesting scope's access groups;
    /// empty makes the document readable by every caller of its tenant and collection.
    /// </summary>
    public IReadOnlyList<string>? AccessGroups { get; init; }
}

/// <summary>What an ingestion did.</summary>
/// <param name="Added">Documents that were new.</param>
/// <param name="Updated">Documents whose text changed.</param>
/// <param name="Unchanged">Documents ingested again with the same text and groups (nothing was re-embedded).</param>
/// <param name="Chunks">Chunks written to the vector store.</param>
/// <param name="InvalidatedAnswers">Cached answers removed because they were built from an updated document.</param>
public sealed record IngestResult(int Added, int Updated, int Unchanged, int Chunks, int InvalidatedAnswers);

/// <summary>Progress of an ingestion, reported once chunking is done and then after each embedding call and each write.</summary>
/// <param name="DocumentsDone">Documents finished (written, or unchanged) so far.</param>
/// <param name="DocumentsTotal">Documents in this ingestion.</param>
/// <param name="ChunksEmbedded">Chunks embedded so far.</param>
/// <param name="ChunksTotal">Chunks to embed in this ingestion (of new and changed documents); a progress bar's maximum.</param>
public readonly record struct IngestProgress(int DocumentsDone, int DocumentsTotal, int ChunksEmbedded, int ChunksTotal);
