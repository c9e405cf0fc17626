namespace RagKit.Caching;

/// <summary>
/// The answer-neighbourhood rule (see docs/semantic.md): a cached answer is served only when the question is clearly
/// nearer to it than to any cached question with a different answer (a margin), so one threshold no longer has to fit
/// both dense, confusable regions and sparse, clear ones. Below the static threshold (down to <see cref="Floor"/>) it
/// serves only answers that at least one other nearby question already produced. Lexical guards apply on top.
/// Stateless and allocation-free.
/// </summary>
internal sealed class NeighbourhoodMatchRule(float floor, float margin, int minSupport, bool guards, float answerSimilarity = 0f, float maxOutlierGap = NeighbourhoodMatchRule.DefaultMaxOutlierGap) : ISemanticMatchRule
{
    /// <summary>Default <see cref="MaxOutlierGap"/>, chosen on the BANKING77 and Bitext train splits (docs/semantic.md, eighth round).</summary>
    public const float DefaultMaxOutlierGap = 0.02f;

    /// <summary>Default <see cref="AnswerSimilarity"/>, chosen on the Bitext train split (docs/semantic.md).</summary>
    public const float DefaultAnswerSimilarity = 0.60f;

    public string Name => Guards ? "neighbourhood + guards" : "neighbourhood";

    /// <summary>Lowest similarity at which a supported answer may be served.</summary>
    public float Floor { get; } = floor;

    /// <summary>Required gap between the candidate's similarity and the nearest different answer's.</summary>
    public float Margin { get; } = margin;

    /// <summary>Same-answer neighbours needed to serve below the static threshold.</summary>
    public int MinSupport { get; } = minSupport;

    public bool Guards { get; } = guards;

    /// <summary>
    /// Below the threshold, the largest <see cref="SemanticNeighbourhood.OutlierGap"/> served: a question farther from the
    /// candidate's same-answer neighbours than the candidate is, by more than this on average, lies past the edge of the
    /// answer's region (the case of a question the cache has no answer for), and support from that region does not
    /// extend to it. <see cref="float.PositiveInfinity"/> turns the check off.
    /// </summary>
    public float MaxOutlierGap { get; } = maxOutlierGap;

    /// <summary>Answer-embedding similarity at which two answers are the same answer; 0 = normalized text only.</summary>
    public float AnswerSimilarity { get; } = answerSimilarity;

    /// <summary>Default <see cref="AnswerMargin"/>, chosen on the Bitext train split (docs/semantic.md, sixth round).</summary>
    public const float DefaultAnswerMargin = 0.03f;

    /// <summary>
    /// How much more similar a new answer must be to the answer cluster it joins than to any other nearby cluster's answer
    /// with the same values: an answer about as close to two different answers is equivalent to neither (a wrong link
    /// merges two answers' neighbourhoods and hides the margin between them).
    /// </summary>
    public float AnswerMargin { get; init; } = DefaultAnswerMargin;

    /// <summary>The answer-embedding similarity any rule asks for (<see cref="ISemanticMatchRule.AnswerSimilarity"/>; 0 for none).</summary>
    public static float AnswerSimilarityOf(ISemanticMatchRule? rule) => rule?.AnswerSimilarity ?? 0f;

    /// <summary>
    /// The answer margin a tier applies for <paramref name="rule"/>: its <see cref="AnswerMargin"/>, or the default for any
    /// other rule that compares answers by embedding (a decorator of the default rule links answers like the default).
    /// </summary>
    public static float AnswerMarginOf(ISemanticMatchRule? rule) => rule is NeighbourhoodMatchRule n ? n.AnswerMargin : DefaultAnswerMargin;

    public float CandidateFloor(float threshold) => Math.Min(threshold, Floor);

    public bool Accept(in SemanticMatchCandidate candidate)
    {
        float s = candidate.Similarity;
        if (s < candidate.Stats.MinSimilarity || s - candidate.Neighbourhood.NearestOtherAnswer < Margin)
        {
            return false;
        }

        if (s < candidate.Threshold
            && (s < Floor || candidate.Neighbourhood.SameAnswerNeighbours < MinSupport || candidate.Neighbourhood.OutlierGap > MaxOutlierGap))
        {
            return false;
        }

        return !Guards
            || string.Equals(candidate.Question, candidate.CandidateQuestion, StringComparison.Ordinal)
            || QuestionGuards.Compatible(candidate.Question, candidate.CandidateQuestion);
    }
}
