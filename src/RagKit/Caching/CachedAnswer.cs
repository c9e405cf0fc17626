namespace RagKit.Caching;

/// <summary>An answer as the caches hold it: text, sources, provenance, cost and expiry.</summary>
public sealed class CachedAnswer
{
    private long _estimatedSize;
    private int _hits;

    /// <summary>The normalized question the answer was made for.</summary>
    public required string Question { get; init; }

    /// <summary>The full scope id (scope plus pipeline versions) it was made under.</summary>
    public required string ScopeId { get; init; }

    /// <summary>The answer text.</summary>
    public required string Text { get; init; }

    /// <summary>The sources cited.</summary>
    public required IReadOnlyList<Citation> Citations { get; init; }

    /// <summary>Every chunk the answer was built from, with document versions.</summary>
    public required IReadOnlyList<ProvenanceEntry> Provenance { get; init; }

    /// <summary>True when composed extractively.</summary>
    public bool IsExtractive { get; init; }

    /// <summary>How long generating the answer took; the cost eviction policies weigh.</summary>
    public TimeSpan GenerationCost { get; init; }

    /// <summary>When the answer was made.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the answer stops being served.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>
    /// The answer text's embedding, when the component that stored the answer made one (empty otherwise). The in-process
    /// semantic tier treats two answers as the same when their embeddings are close and their values agree, so paraphrases
    /// with differently worded answers still support each other (see <see cref="SemanticMatchRules.Neighbourhood"/>).
    /// Counted in <see cref="EstimatedSize"/>.
    /// </summary>
    public ReadOnlyMemory<float> AnswerEmbedding { get; init; }

    /// <summary>Approximate size in memory, in bytes.</summary>
    public long EstimatedSize
    {
        get
        {
            if (_estimatedSize != 0)
            {
                return _estimatedSize;
            }

            long size = 128 + (2L * (Question.Length + Text.Length + ScopeId.Length));
            foreach (Citation c in Citations)
            {
                size += 64 + (2L * (c.Snippet.Length + c.ChunkId.Length + c.DocumentId.Length));
            }

            return _estimatedSize = size + (Provenance.Count * 96L) + (AnswerEmbedding.Length * (long)sizeof(float));
        }
    }

    /// <summary>Approximate number of exact-tier hits since the entry was stored (lossy under contention; used by refresh-ahead).</summary>
    internal int Hits => Volatile.Read(ref _hits);

    /// <summary>Counts an exact-tier hit: a plain increment, so the hit path takes no lock and allocates nothing.</summary>
    internal void RecordHit() => _hits++;

    /// <summary>True when any source document is among <paramref name="documents"/>.</summary>
    public bool DependsOnAny(IReadOnlyCollection<DocumentKey> documents)
    {
        foreach (ProvenanceEntry p in Provenance)
        {
            if (documents.Contains(p.Document))
            {
                return true;
            }
        }

        return false;
    }
}
