namespace RagKit.Ingestion;

/// <summary>One block of a document: its kind, its text without markup, and for headings their level.</summary>
/// <param name="Kind">What the block is.</param>
/// <param name="Text">The text, without markup (code keeps its lines).</param>
/// <param name="Level">Heading level (1 to 6); 0 for other blocks.</param>
/// <param name="ListId">Blocks of the same list share an id above 0.</param>
internal readonly record struct StructuredBlock(BlockKind Kind, string Text, int Level = 0, int ListId = 0);
