using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;

namespace RagKit.Providers;

/// <summary>
/// Computes a candidate's <see cref="SemanticNeighbourhood"/> among a semantic tier's nearest cached questions, so that
/// every tier (in-process, shared) hands a <see cref="ISemanticMatchRule"/> the same neighbourhood for the same
/// neighbours. For semantic tier providers.
/// </summary>
[Experimental(ProviderDiagnostics.ExperimentalId)]
public static class AnswerNeighbourhoods
{
    /// <summary>Most neighbours a tier looks at.</summary>
    public const int MaxNeighbours = 64;

    /// <summary>
    /// Candidate <paramref name="index"/>'s neighbourhood. <paramref name="similarities"/> are sorted, most similar
    /// first, and include the neighbours below the rule's <see cref="ISemanticMatchRule.CandidateFloor"/>;
    /// <paramref name="answers"/> holds one id per neighbour, equal for the same answer.
    /// </summary>
    /// <param name="similarities">The neighbours' similarities to the question, most similar first.</param>
    /// <param name="answers">One answer id per neighbour; neighbours with the same answer have the same id.</param>
    /// <param name="index">The candidate's position among the neighbours.</param>
    /// <param name="full">
    /// True when the tier stopped at its neighbour limit, so a different answer may lie just beyond the least similar
    /// neighbour.
    /// </param>
    /// <returns>The nearest different answer's similarity and the number of supporting same-answer neighbours.</returns>
    public static SemanticNeighbourhood Of(ReadOnlySpan<float> similarities, ReadOnlySpan<int> answers, int index, bool full) =>
        Of(similarities, answers, index, full, []);

    /// <summary>
    /// Candidate <paramref name="index"/>'s neighbourhood with its <see cref="SemanticNeighbourhood.OutlierGap"/>.
    /// </summary>
    /// <param name="similarities">The neighbours' similarities to the question, most similar first.</param>
    /// <param name="answers">One answer id per neighbour; neighbours with the same answer have the same id.</param>
    /// <param name="index">The candidate's position among the neighbours.</param>
    /// <param name="full">True when the tier stopped at its neighbour limit.</param>
    /// <param name="candidateSimilarities">
    /// Per neighbour, the similarity of the candidate's stored question to that neighbour's; read only for the neighbours
    /// with the candidate's answer (others may hold anything). Empty when the tier has no vectors at hand: the gap is 0.
    /// </param>
    /// <returns>The nearest different answer's similarity, the supporting neighbours and the outlier gap.</returns>
    public static SemanticNeighbourhood Of(ReadOnlySpan<float> similarities, ReadOnlySpan<int> answers, int index, bool full, ReadOnlySpan<float> candidateSimilarities)
    {
        if (!candidateSimilarities.IsEmpty && candidateSimilarities.Length != similarities.Length)
        {
            throw new ArgumentException("There must be one candidate similarity per neighbour, or none.", nameof(candidateSimilarities));
        }

        if (similarities.Length != answers.Length)
        {
            throw new ArgumentException("There must be one answer id per similarity.", nameof(answers));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, similarities.Length);

        int answer = answers[index];
        float supportFloor = similarities[index] - SemanticNeighbourhood.SupportWindow;
        float other = float.NaN;
        int same = 0;
        int members = 0;
        float gap = 0f;
        for (int j = 0; j < similarities.Length; j++)
        {
            if (j == index)
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
            else
            {
                if (similarities[j] >= supportFloor)
                {
                    same++;
                }

                if (!candidateSimilarities.IsEmpty)
                {
                    gap += candidateSimilarities[j] - similarities[j];
                    members++;
                }
            }
        }

        if (float.IsNaN(other))
        {
            other = full ? similarities[^1] : -1f;
        }

        return new SemanticNeighbourhood(other, same) { OutlierGap = members == 0 ? 0f : gap / members };
    }
}
