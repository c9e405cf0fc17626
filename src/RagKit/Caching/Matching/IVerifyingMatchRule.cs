namespace RagKit.Caching;

/// <summary>
/// A match rule that learns where an entry may be served (the verified rule, <see cref="SemanticMatchRules.Verified"/>):
/// the in-process tier asks it to decide on the best candidate with that candidate's neighbourhood and the entry's own
/// verification outcomes, and reports each verification (explore, wrong-answer report) back to it. Tiers and the
/// pipeline reach the rule through this interface, never through its concrete type.
/// </summary>
internal interface IVerifyingMatchRule : ISemanticMatchRule
{
    /// <summary>
    /// When true, the candidates above the floor vote: the answer cluster with the highest summed similarity is the one
    /// decided on, and the vote's clarity is its <see cref="NeighbourhoodClass"/>.
    /// </summary>
    bool Vote { get; }

    /// <summary>Serve, explore or miss for one candidate (see <see cref="VerifiedMatchRule.Decide"/>).</summary>
    /// <param name="question">The normalized question asked.</param>
    /// <param name="candidateQuestion">The normalized cached question.</param>
    /// <param name="similarity">Their cosine similarity.</param>
    /// <param name="threshold">The ask's similarity threshold.</param>
    /// <param name="entryFloor">The entry's feedback floor.</param>
    /// <param name="neighbourhood">The candidate's <see cref="NeighbourhoodClass"/>.</param>
    /// <param name="entry">The entry's own verification outcomes.</param>
    SemanticDecision Decide(string question, string candidateQuestion, float similarity, float threshold, float entryFloor, int neighbourhood, EntryObservations? entry);

    /// <summary>Records a verification outcome (explore, or a wrong-answer report) at a similarity and neighbourhood class.</summary>
    void Record(float similarity, int neighbourhood, bool correct);
}
