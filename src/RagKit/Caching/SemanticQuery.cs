namespace RagKit.Caching;

/// <summary>A lookup in a semantic tier.</summary>
/// <param name="Scope">The scope key; entries from any other scope must never match.</param>
/// <param name="Question">The normalized question (for guards that look at the words, not only the vector).</param>
/// <param name="Embedding">The L2-normalized question embedding.</param>
/// <param name="Threshold">Minimum cosine similarity for a hit.</param>
public readonly record struct SemanticQuery(ScopeKey Scope, string Question, ReadOnlyMemory<float> Embedding, float Threshold)
{
    /// <summary>
    /// The rule that decides whether a candidate is served (<see cref="RagKitOptions.SemanticMatchRule"/> when the
    /// pipeline asks); null means the plain threshold. Tiers that keep their own rule may ignore it.
    /// </summary>
    public ISemanticMatchRule? Rule { get; init; }
}
