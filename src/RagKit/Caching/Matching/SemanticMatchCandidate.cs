namespace RagKit.Caching;

/// <summary>A candidate match handed to a <see cref="ISemanticMatchRule"/>: the nearest cached question in the scope.</summary>
/// <param name="Question">The normalized question being asked.</param>
/// <param name="QueryEmbedding">Its embedding.</param>
/// <param name="CandidateQuestion">The normalized cached question it is nearest to.</param>
/// <param name="CandidateEmbedding">The cached question's embedding.</param>
/// <param name="Similarity">Cosine similarity of the two embeddings.</param>
/// <param name="Threshold">The configured similarity threshold of the ask.</param>
/// <param name="Stats">What the tier knows about the cached entry.</param>
public readonly record struct SemanticMatchCandidate(
    string Question,
    ReadOnlyMemory<float> QueryEmbedding,
    string CandidateQuestion,
    ReadOnlyMemory<float> CandidateEmbedding,
    float Similarity,
    float Threshold,
    SemanticEntryStats Stats)
{
    /// <summary>The candidate's answer neighbourhood (<see cref="SemanticNeighbourhood.Unknown"/> unless the tier computed it).</summary>
    public SemanticNeighbourhood Neighbourhood { get; init; } = SemanticNeighbourhood.Unknown;
}
