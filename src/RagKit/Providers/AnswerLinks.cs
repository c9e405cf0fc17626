using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;

namespace RagKit.Providers;

/// <summary>
/// Answer equivalence by embedding, as the in-process semantic tier decides it when an answer is stored: a differently
/// worded answer is the same answer as a nearby one when their embeddings are close, they mention the same values, and
/// no other nearby answer is nearly as close. Shared so that every tier (in-process, shared) links answers the same way.
/// For semantic tier providers.
/// </summary>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public static class AnswerLinks
{
    /// <summary>
    /// The values an answer mentions (numbers, ordinals, amounts, months, weekdays, currencies; not the numbers of a
    /// numbered list): two answers with different fingerprints are never the same answer ("order 1234 ships Monday" /
    /// "order 5678 ships Monday").
    /// </summary>
    /// <param name="answer">The answer text.</param>
    /// <returns>A fingerprint; equal for texts that mention the same values.</returns>
    public static ulong ValuesFingerprint(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return QuestionGuards.ValuesFingerprint(answer);
    }

    /// <summary>
    /// The answer-embedding similarity at which <paramref name="rule"/> counts two answers as one
    /// (<see cref="ISemanticMatchRule.AnswerSimilarity"/>); 0 when it compares answers by text only.
    /// </summary>
    /// <param name="rule">The match rule, or null.</param>
    /// <returns>The similarity, or 0.</returns>
    public static float AnswerSimilarity(ISemanticMatchRule? rule) => NeighbourhoodMatchRule.AnswerSimilarityOf(rule);

    /// <summary>
    /// How much closer a new answer must be to the answer it joins than to any other nearby answer with the same values
    /// (0.03 for the default rule and any rule that decorates it).
    /// </summary>
    /// <param name="rule">The match rule, or null.</param>
    /// <returns>The answer margin.</returns>
    public static float AnswerMargin(ISemanticMatchRule? rule) => NeighbourhoodMatchRule.AnswerMarginOf(rule);

    /// <summary>
    /// The neighbour whose answer a new answer joins: the one with the most similar answer embedding, at least
    /// <paramref name="minSimilarity"/>, when no neighbour of another answer is within <paramref name="margin"/> of it.
    /// </summary>
    /// <param name="similarities">
    /// Per neighbour, the cosine similarity of the new answer's embedding to the neighbour's answer embedding;
    /// <see cref="float.NegativeInfinity"/> for a neighbour that cannot be the same answer (other values, no embedding).
    /// </param>
    /// <param name="answers">One answer id per neighbour; neighbours that already share an answer have the same id.</param>
    /// <param name="minSimilarity">The answer similarity of the rule.</param>
    /// <param name="margin">The answer margin of the rule.</param>
    /// <returns>The index of the neighbour to join, or -1 when the answer is new.</returns>
    public static int Choose(ReadOnlySpan<float> similarities, ReadOnlySpan<int> answers, float minSimilarity, float margin)
    {
        if (similarities.Length != answers.Length)
        {
            throw new ArgumentException("There must be one answer id per similarity.", nameof(answers));
        }

        int best = -1;
        float bestSimilarity = float.NegativeInfinity;
        for (int i = 0; i < similarities.Length; i++)
        {
            if (similarities[i] > bestSimilarity)
            {
                bestSimilarity = similarities[i];
                best = i;
            }
        }

        if (best < 0 || bestSimilarity < minSimilarity)
        {
            return -1;
        }

        // An answer about as close to two different answers is equivalent to neither: a wrong link merges two answers'
        // neighbourhoods and hides the margin between them.
        for (int i = 0; i < similarities.Length && margin > 0; i++)
        {
            if (similarities[i] > bestSimilarity - margin && answers[i] != answers[best])
            {
                return -1;
            }
        }

        return best;
    }
}
