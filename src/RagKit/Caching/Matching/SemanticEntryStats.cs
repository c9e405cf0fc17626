namespace RagKit.Caching;

/// <summary>What a semantic tier knows about a cached entry when it asks a <see cref="ISemanticMatchRule"/>.</summary>
/// <param name="Hits">How many questions this entry's answer cluster has served.</param>
/// <param name="WrongReports">How many answers of this cluster (or its neighbourhood) were reported wrong.</param>
/// <param name="MinSimilarity">
/// The entry's own similarity floor, raised by wrong-answer feedback (0 when it never received any); a hit needs
/// a similarity at or above both this and the query's threshold.
/// </param>
/// <param name="ClusterSize">How many questions (the one that produced the answer plus later hits) share the answer.</param>
public readonly record struct SemanticEntryStats(int Hits, int WrongReports, float MinSimilarity, int ClusterSize);
