namespace RagKit;

/// <summary>Which tier served an answer.</summary>
public enum AnswerTier
{
    /// <summary>The exact cache: the same normalized question in the same scope was answered before.</summary>
    Exact,

    /// <summary>The semantic cache: a question similar enough, in the same scope, was answered before.</summary>
    Semantic,

    /// <summary>Retrieved and generated now (by the chat client, or extractively when none is configured).</summary>
    Generated,
}

/// <summary>A source an answer was built from.</summary>
/// <param name="Number">The number the source had in the prompt, as cited in the text: [1], [2], ...</param>
/// <param name="DocumentId">The id of the document.</param>
/// <param name="ChunkId">The id of the chunk within the document.</param>
/// <param name="Snippet">The start of the chunk's text.</param>
/// <param name="Score">Retrieval similarity of the chunk to the question.</param>
public sealed record Citation(int Number, string DocumentId, string ChunkId, string Snippet, float Score);

/// <summary>How an answer was served: the tier, the similarity where one applies, and the time each stage took.</summary>
public sealed class TierReport
{
    /// <summary>The tier that served the answer.</summary>
    public required AnswerTier Tier { get; init; }

    /// <summary>For a semantic hit, the cosine similarity between the question and the cached one.</summary>
    public float? Similarity { get; init; }

    /// <summary>For a semantic hit, the cached question that matched (normalized).</summary>
    public string? MatchedQuestion { get; init; }

    /// <summary>True when this ask waited for an identical ask already in flight instead of generating again.</summary>
    public bool JoinedInFlight { get; init; }

    /// <summary>Time spent normalizing and looking up the exact tier.</summary>
    public TimeSpan ExactLookup { get; init; }

    /// <summary>Time spent embedding the question.</summary>
    public TimeSpan Embedding { get; init; }

    /// <summary>Time spent looking up the semantic tier.</summary>
    public TimeSpan SemanticLookup { get; init; }

    /// <summary>Time spent retrieving chunks (from the retrieval-result tier or the vector store).</summary>
    public TimeSpan Retrieval { get; init; }

    /// <summary>True when the retrieved chunks came from the retrieval-result tier and the vector store was not queried.</summary>
    public bool RetrievalCached { get; init; }

    /// <summary>Time spent generating the answer.</summary>
    public TimeSpan Generation { get; init; }

    /// <summary>Wall time of the whole ask.</summary>
    public TimeSpan Total { get; init; }

    /// <summary>Tiers that were skipped because they failed or exceeded their time budget.</summary>
    public IReadOnlyList<string> SkippedTiers { get; init; } = [];

    /// <inheritdoc />
    public override string ToString()
    {
        string sim = Similarity is { } s ? $" similarity {s:F3}" : string.Empty;
        return $"{Tier}{sim} in {Total.TotalMilliseconds:F3} ms";
    }
}

/// <summary>An answer and how it was served.</summary>
public sealed class RagAnswer
{
    /// <summary>The answer text; cited sources appear as [1], [2], ...</summary>
    public required string Text { get; init; }

    /// <summary>The sources the answer cites, numbered as in the text.</summary>
    public required IReadOnlyList<Citation> Citations { get; init; }

    /// <summary>Which tier served it and how long each stage took.</summary>
    public required TierReport Report { get; init; }

    /// <summary>True when the answer was composed from retrieved text because no generator is configured.</summary>
    public bool IsExtractive { get; init; }

    /// <summary>False when the generator was cut off (token limit or timeout). Incomplete answers are never cached.</summary>
    public bool IsComplete { get; init; } = true;

    /// <summary>The tier that served the answer; shorthand for <c>Report.Tier</c>.</summary>
    public AnswerTier Tier => Report.Tier;

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>One piece of a streamed answer.</summary>
public sealed class AnswerUpdate
{
    internal AnswerUpdate(string text, RagAnswer? answer)
    {
        Text = text;
        Answer = answer;
    }

    /// <summary>Text to append to what was received so far (may be empty on the last update).</summary>
    public string Text { get; }

    /// <summary>The complete answer with its report; set on the last update only.</summary>
    public RagAnswer? Answer { get; }

    /// <summary>True on the last update.</summary>
    public bool IsFinal => Answer is not null;
}

/// <summary>Options for one ask.</summary>
public sealed class AskOptions
{
    /// <summary>Creates options for the given scope.</summary>
    public AskOptions(RagScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        Scope = scope;
    }

    /// <summary>The scope of the ask. Required.</summary>
    public RagScope Scope { get; }

    /// <summary>How many chunks to retrieve; null uses <see cref="RagKitOptions.TopK"/>.</summary>
    public int? TopK { get; init; }

    /// <summary>When false, the ask neither reads nor writes the answer caches.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// Whether the ask reads and writes the retrieval-result tier; null (the default) follows <see cref="UseCache"/>.
    /// Set it to true with <see cref="UseCache"/> false to regenerate an answer from cached retrieval.
    /// </summary>
    public bool? UseRetrievalCache { get; init; }

    /// <summary>Overrides <see cref="RagKitOptions.SemanticThreshold"/> for this ask.</summary>
    public float? SemanticThreshold { get; init; }

    /// <summary>
    /// The conversation so far (prior turns, most recent last), for follow-up questions. When the question depends on
    /// it (see <see cref="DependsOnContext"/>), a digest of the context becomes part of the cache scope, so
    /// "how old is he?" is only answered from the cache within the same conversation context.
    /// </summary>
    public IReadOnlyList<string>? ConversationContext { get; init; }

    /// <summary>
    /// Whether the question depends on <see cref="ConversationContext"/>. Null (default) detects it: a question with a
    /// pronoun or demonstrative (he, she, it, they, this, that, those, there, ...) or that is an ellipsis
    /// ("and in 2020?", "what about Paris?") depends on its context; others are cached across conversations.
    /// </summary>
    public bool? DependsOnContext { get; init; }
}
