namespace RagKit.Caching;

/// <summary>The match rules RagKit ships.</summary>
public static class SemanticMatchRules
{
    /// <summary>
    /// Similarity at or above the threshold (and the entry's feedback floor) is a hit, nothing else is checked.
    /// The rule of most semantic caches; kept for comparison.
    /// </summary>
    public static ISemanticMatchRule Static { get; } = new StaticMatchRule();

    /// <summary>
    /// The static rule plus lexical guards that block near-identical questions with a different meaning: a negation
    /// present on one side only, different frequency or quantity words (always / sometimes / never), an antonym pair
    /// (WordNet's antonyms, a banking list such as deposit/withdraw, un-/dis-/de- prefixes), differing numbers, amounts,
    /// currencies, months or weekdays or a number or ordinal on one side only, and swapped roles (word blocks exchanged
    /// around shared words or around a relation word: "from A to B" / "from B to A"). Not the default (that is
    /// <see cref="Neighbourhood"/>, which applies these guards too); what the default does where a scope has no
    /// neighbourhood yet. See docs/semantic.md.
    /// </summary>
    public static ISemanticMatchRule Guarded { get; } = new GuardedMatchRule();

    /// <summary>
    /// The answer-neighbourhood rule (see docs/semantic.md), chosen with the semantic evaluation harness: serve a cached
    /// answer only when the question is at least <paramref name="margin"/> more similar to it than to any cached question
    /// with a different answer; below the similarity threshold, down to <paramref name="floor"/>, only when at least
    /// <paramref name="minSupport"/> other nearby questions produced the same answer. Questions whose stored answers are
    /// the same text (after normalization) share an answer. With <paramref name="guards"/> the lexical guards of
    /// <see cref="Guarded"/> apply too.
    /// </summary>
    /// <param name="floor">Lowest cosine similarity served (only for supported answers); in (0, 1].</param>
    /// <param name="margin">Required similarity gap to the nearest different answer; in [0, 1].</param>
    /// <param name="minSupport">Same-answer neighbours needed below the threshold; 0 serves down to the floor without support.</param>
    /// <param name="guards">Also apply the lexical guards.</param>
    /// <param name="answerSimilarity">
    /// Cosine similarity of two answers' embeddings (<see cref="CachedAnswer.AnswerEmbedding"/>) at or above which they count
    /// as the same answer, when their numbers, amounts, dates and currencies agree; in (0, 1], or 0 to compare answers by
    /// their normalized text only. The pipeline and the chat middleware embed answers when this is above 0.
    /// </param>
    /// <param name="maxOutlierGap">
    /// Below the threshold, how much farther (in mean cosine similarity) the question may be from the candidate's
    /// same-answer neighbours than the candidate itself is (<see cref="SemanticNeighbourhood.OutlierGap"/>): a question past
    /// the edge of an answer's region, typically one the cache has no answer for, is not served on that region's support.
    /// At least 0; <see cref="float.PositiveInfinity"/> turns the check off.
    /// </param>
    public static ISemanticMatchRule Neighbourhood(float floor = 0.82f, float margin = 0.12f, int minSupport = 1, bool guards = true, float answerSimilarity = NeighbourhoodMatchRule.DefaultAnswerSimilarity, float maxOutlierGap = NeighbourhoodMatchRule.DefaultMaxOutlierGap)
    {
        if (maxOutlierGap < 0 || float.IsNaN(maxOutlierGap))
        {
            throw new ArgumentOutOfRangeException(nameof(maxOutlierGap), maxOutlierGap, "The outlier gap must be at least 0 (PositiveInfinity turns the check off).");
        }

        if (answerSimilarity is < 0 or > 1 || float.IsNaN(answerSimilarity))
        {
            throw new ArgumentOutOfRangeException(nameof(answerSimilarity), answerSimilarity, "The answer similarity must be in [0, 1] (0 = compare answer text only).");
        }

        if (floor is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(floor), floor, "The floor must be a cosine similarity in (0, 1].");
        }

        if (margin is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin must be in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(minSupport);
        return new NeighbourhoodMatchRule(floor, margin, minSupport, guards, answerSimilarity, maxOutlierGap);
    }

    /// <summary>
    /// A new verified rule (vCache-style, see docs/semantic.md): per-entry learned thresholds with an error bound.
    /// Above the similarity threshold (use a low one, e.g. 0.80) it serves only where the estimated probability of a
    /// wrong answer is at most <paramref name="maxErrorRate"/> with confidence; elsewhere it explores: the question is
    /// answered as a miss and, when an <see cref="IAnswerVerifier"/> is configured, the fresh answer is compared with
    /// the cached one and the outcome recorded for the entry. The rule holds the learned state: use one instance per
    /// pipeline.
    /// </summary>
    /// <param name="maxErrorRate">δ, the wrong-answer probability per served answer to stay under; in (0, 1).</param>
    /// <param name="guards">Also apply the lexical guards of <see cref="Guarded"/> before serving.</param>
    public static ISemanticMatchRule Verified(float maxErrorRate = 0.02f, bool guards = true) => new VerifiedMatchRule(maxErrorRate, guards: guards);
}

internal sealed class StaticMatchRule : ISemanticMatchRule
{
    public string Name => "static";

    public bool Accept(in SemanticMatchCandidate candidate) =>
        candidate.Similarity >= candidate.Threshold && candidate.Similarity >= candidate.Stats.MinSimilarity;
}

internal sealed class GuardedMatchRule : ISemanticMatchRule
{
    public string Name => "guarded";

    public bool Accept(in SemanticMatchCandidate candidate)
    {
        if (candidate.Similarity < candidate.Threshold || candidate.Similarity < candidate.Stats.MinSimilarity)
        {
            return false;
        }

        if (string.Equals(candidate.Question, candidate.CandidateQuestion, StringComparison.Ordinal))
        {
            return true;
        }

        return QuestionGuards.Compatible(candidate.Question, candidate.CandidateQuestion);
    }
}
