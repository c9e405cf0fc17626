namespace RagKit.Ingestion;

/// <summary>What a block of a document is, as read by <see cref="DocumentStructure"/>.</summary>
internal enum BlockKind
{
    /// <summary>A heading; <see cref="StructuredBlock.Level"/> is its depth (1 to 6).</summary>
    Heading,

    /// <summary>An FAQ question (a "Q:" line, or a question line followed by its answer): a section of its own.</summary>
    Question,

    /// <summary>A paragraph of prose, without markup.</summary>
    Prose,

    /// <summary>One list item, without its bullet.</summary>
    Item,

    /// <summary>A table row written as a sentence labelled by the table's header.</summary>
    Row,

    /// <summary>A fenced or indented code block, without its fence.</summary>
    Code,
}
