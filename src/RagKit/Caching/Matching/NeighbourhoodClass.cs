namespace RagKit.Caching;

/// <summary>
/// The candidate's neighbourhood among the cached entries above the similarity floor: alone; ambiguous (another
/// answer within <see cref="VerifiedMatchRule.AmbiguityMargin"/> of it); or the number of other candidates that share
/// its answer cluster (0, 1, 2, 3 or more) when other answers are further away.
/// </summary>
internal static class NeighbourhoodClass
{
    public const int Alone = 0;
    public const int Ambiguous = 1;
    public const int Count = 6;

    /// <summary>Class of a candidate with <paramref name="sameAnswer"/> agreeing neighbours and no close other answer.</summary>
    public static int Agreeing(int sameAnswer) => 2 + Math.Min(sameAnswer, 3);
}
