namespace RagKit.Caching;

/// <summary>
/// Decides whether a cached answer to a similar question may be served. Called on the hot path of every semantic
/// lookup, for the best candidates only; implementations must be thread-safe and must not block.
/// </summary>
public interface ISemanticMatchRule
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>True to serve the candidate's answer.</summary>
    bool Accept(in SemanticMatchCandidate candidate);

    /// <summary>
    /// The lowest similarity at which this rule may serve a candidate for an ask with <paramref name="threshold"/>:
    /// a tier offers the rule every candidate at or above it. The default is the threshold; a rule that serves below
    /// it (a supported answer down to a floor) returns the lower value. A decorator forwards it.
    /// </summary>
    /// <param name="threshold">The similarity threshold of the ask.</param>
    float CandidateFloor(float threshold) => threshold;

    /// <summary>
    /// Cosine similarity of two answers' embeddings (<see cref="CachedAnswer.AnswerEmbedding"/>) at or above which the
    /// rule counts them as the same answer in a <see cref="SemanticNeighbourhood"/>; 0 (the default) when answers are
    /// compared by their normalized text only. Above 0, the pipeline and the chat middleware embed answers. A decorator
    /// forwards it.
    /// </summary>
    float AnswerSimilarity => 0f;
}
