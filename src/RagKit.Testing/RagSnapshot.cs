using System.Globalization;
using RagKit.Retrieval;

namespace RagKit.Testing;

/// <summary>
/// Stable views of answers and retrievals for snapshot assertions (e.g. Snapshooter's <c>Snapshot.Match</c>): no
/// timings, scores rounded to 3 decimals, so a snapshot changes only when behaviour does.
/// </summary>
public static class RagSnapshot
{
    /// <summary>The answer's text, tier, completeness and citations.</summary>
    public static AnswerSnapshot Of(RagAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return new AnswerSnapshot(
            answer.Text,
            answer.Tier.ToString(),
            answer.IsExtractive,
            answer.IsComplete,
            answer.Citations.Select(c => new CitationSnapshot(c.Number, c.DocumentId, c.ChunkId, Round(c.Score))).ToArray());
    }

    /// <summary>The retrieved chunks in order, with rounded scores.</summary>
    public static IReadOnlyList<ChunkSnapshot> Of(IReadOnlyList<ChunkMatch> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        return matches.Select(m => new ChunkSnapshot(m.Document.Tenant, m.Document.Collection, m.Document.DocumentId, m.ChunkId, Round(m.Score), m.Text)).ToArray();
    }

    private static string Round(float score) => score.ToString("F3", CultureInfo.InvariantCulture);
}

/// <summary>A stable view of an answer.</summary>
/// <param name="Text">The answer text.</param>
/// <param name="Tier">The tier that served it.</param>
/// <param name="IsExtractive">Composed from retrieved text.</param>
/// <param name="IsComplete">Not cut off.</param>
/// <param name="Citations">The cited sources.</param>
public sealed record AnswerSnapshot(string Text, string Tier, bool IsExtractive, bool IsComplete, IReadOnlyList<CitationSnapshot> Citations);

/// <summary>A stable view of a citation.</summary>
/// <param name="Number">The number in the text.</param>
/// <param name="DocumentId">The document.</param>
/// <param name="ChunkId">The chunk.</param>
/// <param name="Score">Similarity, 3 decimals.</param>
public sealed record CitationSnapshot(int Number, string DocumentId, string ChunkId, string Score);

/// <summary>A stable view of a retrieved chunk.</summary>
/// <param name="Tenant">Tenant.</param>
/// <param name="Collection">Collection.</param>
/// <param name="DocumentId">Document.</param>
/// <param name="ChunkId">Chunk.</param>
/// <param name="Score">Similarity, 3 decimals.</param>
/// <param name="Text">Chunk text.</param>
public sealed record ChunkSnapshot(string Tenant, string Collection, string DocumentId, string ChunkId, string Score, string Text);
