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
    /// <summary>A same-answer neighbour counts as support when its similarity is at most this far below the candidate's.</summary>
    public const float SupportWindow = 0.10f;

    /// <summary>No neighbourhood information (a caller outside the in-process tier): no other answer known, no support.</summary>
    public static SemanticNeighbourhood Unknown => new(-1f, 0);
}

/// <summary>
/// The answer-neighbourhood rule (see docs/semantic.md): a cached answer is served only when the question is clearly
/// nearer to it than to any cached question with a different answer (a margin), so one threshold no longer has to fit
/// both dense, confusable regions and sparse, clear ones. Below the static threshold (down to <see cref="Floor"/>) it
/// serves only answers that at least one other nearby question already produced. Lexical guards apply on top.
/// Stateless and allocation-free.
/// </summary>
internal sealed class NeighbourhoodMatchRule(float floor, float margin, int minSupport, bool guards, float answerSimilarity = 0f) : ISemanticMatchRule
{
    /// <summary>Default <see cref="AnswerSimilarity"/>, chosen on the Bitext train split (docs/semantic.md).</summary>
    public const float DefaultAnswerSimilarity = 0.70f;

    public string Name => Guards ? "neighbourhood + guards" : "neighbourhood";

    /// <summary>Lowest similarity at which a supported answer may be served.</summary>
    public float Floor { get; } = floor;

    /// <summary>Required gap between the candidate's similarity and the nearest different answer's.</summary>
    public float Margin { get; } = margin;

    /// <summary>Same-answer neighbours needed to serve below the static threshold.</summary>
    public int MinSupport { get; } = minSupport;

    public bool Guards { get; } = guards;

    /// <summary>Answer-embedding similarity at which two answers are the same answer; 0 = normalized text only.</summary>
    public float AnswerSimilarity { get; } = answerSimilarity;

    /// <summary>The answer-embedding similarity a rule asks for (0 when it does not compare answers by embedding).</summary>
    public static float AnswerSimilarityOf(ISemanticMatchRule? rule) => rule is NeighbourhoodMatchRule n ? n.AnswerSimilarity : 0f;

    public bool Accept(in SemanticMatchCandidate candidate)
    {
        float s = candidate.Similarity;
        if (s < candidate.Stats.MinSimilarity || s - candidate.Neighbourhood.NearestOtherAnswer < Margin)
        {
            return false;
        }

        if (s < candidate.Threshold && (s < Floor || candidate.Neighbourhood.SameAnswerNeighbours < MinSupport))
        {
            return false;
        }

        return !Guards
            || string.Equals(candidate.Question, candidate.CandidateQuestion, StringComparison.Ordinal)
            || QuestionGuards.Compatible(candidate.Question, candidate.CandidateQuestion);
    }
}

/// <summary>The answer neighbourhood of a candidate among a tier's nearest questions; one computation for every tier.</summary>
internal static class AnswerNeighbourhoods
{
    /// <summary>Most neighbours a tier looks at.</summary>
    public const int MaxNeighbours = 64;

    /// <summary>
    /// Candidate <paramref name="i"/>'s neighbourhood. <paramref name="similarities"/> are sorted, most similar first;
    /// <paramref name="answers"/> holds one id per neighbour, equal for the same answer. <paramref name="full"/>: the
    /// tier stopped at its neighbour limit, so a different answer may lie just beyond the least similar neighbour.
    /// </summary>
    public static SemanticNeighbourhood Of(ReadOnlySpan<float> similarities, ReadOnlySpan<int> answers, int i, bool full)
    {
        int answer = answers[i];
        float supportFloor = similarities[i] - SemanticNeighbourhood.SupportWindow;
        float other = float.NaN;
        int same = 0;
        for (int j = 0; j < similarities.Length; j++)
        {
            if (j == i)
            {
                continue;
            }

            if (answers[j] != answer)
            {
                if (float.IsNaN(other))
                {
                    other = similarities[j];
                }
            }
            else if (similarities[j] >= supportFloor)
            {
                same++;
            }
        }

        if (float.IsNaN(other))
        {
            other = full ? similarities[^1] : -1f;
        }

        return new SemanticNeighbourhood(other, same);
    }

    /// <summary>The lowest similarity a rule may serve at (its floor when it has one), given the query's threshold.</summary>
    public static float Cut(ISemanticMatchRule? rule, float threshold) => rule switch
    {
        VerifiedMatchRule verified => Math.Min(threshold, verified.Floor),
        NeighbourhoodMatchRule neighbourhood => Math.Min(threshold, neighbourhood.Floor),
        _ => threshold,
    };
}
