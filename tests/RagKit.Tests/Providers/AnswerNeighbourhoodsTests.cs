using RagKit.Caching;
using RagKit.Providers;

namespace RagKit.Tests.Providers;

/// <summary>The neighbourhood a tier hands its rule, computed once for every tier (<see cref="AnswerNeighbourhoods"/>).</summary>
public sealed class AnswerNeighbourhoodsTests
{
    [Fact]
    public void The_outlier_gap_is_the_mean_over_same_answer_neighbours_of_candidate_minus_question_similarity()
    {
        // Neighbours 1 and 2 share the candidate's answer; 3 has another answer and its value is ignored.
        float[] similarities = [0.90f, 0.85f, 0.80f, 0.70f];
        int[] answers = [0, 0, 0, 3];
        float[] candidate = [1f, 0.95f, 0.70f, 123f];

        SemanticNeighbourhood n = AnswerNeighbourhoods.Of(similarities, answers, 0, full: false, candidate);

        Assert.Equal(((0.95f - 0.85f) + (0.70f - 0.80f)) / 2, n.OutlierGap, 5);
        Assert.Equal(0.70f, n.NearestOtherAnswer);
        Assert.Equal(2, n.SameAnswerNeighbours);
    }

    [Fact]
    public void Without_candidate_similarities_or_same_answer_neighbours_the_gap_is_zero()
    {
        Assert.Equal(0f, AnswerNeighbourhoods.Of([0.9f, 0.85f], [0, 0], 0, full: false).OutlierGap);
        Assert.Equal(0f, AnswerNeighbourhoods.Of([0.9f, 0.85f], [0, 1], 0, full: false, [1f, 0.99f]).OutlierGap);
    }

    [Fact]
    public void Candidate_similarities_of_another_length_are_rejected_with_their_name()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AnswerNeighbourhoods.Of([0.9f, 0.85f], [0, 0], 0, full: false, [1f]));
        Assert.Equal("candidateSimilarities", e.ParamName);
    }
}
