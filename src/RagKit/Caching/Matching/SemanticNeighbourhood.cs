namespace RagKit.Caching;

/// <summary>
/// What the semantic tier saw around a candidate among the nearest cached questions of the scope (up to 16, any
/// similarity). Questions whose stored answers are the same text (after normalization) share an answer.
/// </summary>
/// <param name="NearestOtherAnswer">
/// Similarity of the question to the nearest cached question with a different answer; an upper bound (the least
/// similar of the neighbours looked at) when none of them has a different answer; -1 when the scope holds no other answer.
/// </param>
/// <param name="SameAnswerNeighbours">
/// How many other cached questions with the candidate's answer are within <see cref="SemanticNeighbourhood.SupportWindow"/>
/// of the candidate's similarity: evidence that the answer covers this region of question space.
/// </param>
public readonly record struct SemanticNeighbourhood(float NearestOtherAnswer, int SameAnswerNeighbours)
{
    /// <summary>
    /// How far the question lies beyond the candidate's answer region: the mean, over the other nearby cached questions
    /// with the candidate's answer, of their similarity to the candidate minus their similarity to the question. Near 0 or
    /// below for a question inside the region (as close to its members as the candidate is); positive for one past its
    /// edge, such as a question the cache has no answer for that lands beside a dense region. 0 when there is no such
    /// neighbour or the tier did not compute it.
    /// </summary>
    public float OutlierGap { get; init; }

    /// <summary>A same-answer neighbour counts as support when its similarity is at most this far below the candidate's.</summary>
    public const float SupportWindow = 0.10f;

    /// <summary>No neighbourhood information (a caller outside the in-process tier): no other answer known, no support.</summary>
    public static SemanticNeighbourhood Unknown => new(-1f, 0);
}
