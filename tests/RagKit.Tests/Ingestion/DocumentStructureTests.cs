using RagKit.Ingestion;

namespace RagKit.Tests.Ingestion;

public sealed class DocumentStructureTests
{
    [Fact]
    public void A_placeholder_in_inline_code_reads_without_angle_brackets_in_plain_prose()
    {
        const string table = """
            | Option | Default | Description |
            |---|---|---|
            | `--workers <n>` | 4 | Files uploaded in parallel |
            """;

        StructuredBlock row = DocumentStructure.Read(table, keepInlineCode: false).Single();

        Assert.Equal("--workers n: default 4; description Files uploaded in parallel.", row.Text);
        Assert.Contains("`--workers <n>`", DocumentStructure.Read(table, keepInlineCode: true).Single().Text, StringComparison.Ordinal); // chunks keep the code as written
    }
}

public sealed class DocumentStructureShapesTests
{
    private static List<StructuredBlock> Read(string text) => DocumentStructure.Read(text, keepInlineCode: false);

    [Fact]
    public void A_definition_list_term_labels_its_definition_like_an_faq_question()
    {
        const string glossary = "# Glossary\n\nTombstone\n:   A record that a file was deleted. It is kept for 30 days.\n\nFolder pair\n:   A local folder and its remote twin.\n";

        List<StructuredBlock> blocks = Read(glossary);

        Assert.Equal(new StructuredBlock(BlockKind.Question, "Tombstone"), blocks[1]);
        Assert.Equal(new StructuredBlock(BlockKind.Prose, "A record that a file was deleted. It is kept for 30 days."), blocks[2]);
        Assert.Equal(new StructuredBlock(BlockKind.Question, "Folder pair"), blocks[3]);
        Assert.DoesNotContain(blocks, b => b.Text.Contains(" : ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("> **Note**\n> The agent re-reads the file on SIGHUP.\n", "Note: The agent re-reads the file on SIGHUP.")]
    [InlineData("> [!WARNING]\n> Coverage halves behind concrete walls.\n", "Warning: Coverage halves behind concrete walls.")]
    [InlineData("!!! warning\n    Turning on cmdline sends passwords.\n", "Warning: Turning on cmdline sends passwords.")]
    [InlineData("!!! tip \"Faster builds\"\n\n    Cache the packages folder.\n", "Faster builds: Cache the packages folder.")]
    public void A_callout_reads_as_prose_labelled_by_its_kind_without_its_marker(string markdown, string prose)
    {
        Assert.Equal([new StructuredBlock(BlockKind.Prose, prose)], Read(markdown));
    }

    [Fact]
    public void A_line_break_tag_ends_a_line_and_a_details_summary_labels_what_it_folds()
    {
        const string article = "**Applies to:** Windows 4.2 and later<br>\n**Last updated:** 3 March 2026\n\n<details>\n<summary>Still failing?</summary>\n\nCheck the clock of the device.\n\n</details>\n";

        List<StructuredBlock> blocks = Read(article);

        Assert.Equal("Applies to: Windows 4.2 and later", blocks[0].Text);
        Assert.Equal("Last updated: 3 March 2026", blocks[1].Text);
        Assert.Equal(new StructuredBlock(BlockKind.Question, "Still failing?"), blocks[2]);
        Assert.Equal("Check the clock of the device.", blocks[3].Text);
    }

    [Fact]
    public void A_line_break_tag_in_a_table_cell_reads_as_a_comma()
    {
        const string table = "| Model | Ports |\n|---|---|\n| Pro | 2 × 10 Gbit/s<br>2 × 2.5 Gbit/s |\n";

        Assert.Equal("Pro: ports 2 × 10 Gbit/s, 2 × 2.5 Gbit/s.", Read(table).Single().Text);
    }

    [Fact]
    public void A_chunk_read_back_finds_no_plain_text_headings()
    {
        // The chunker made the headings breadcrumbs already: a short first line of a chunk is no title.
        const string body = "Applies to: Windows 4.2 and later\n\nLast updated: 3 March 2026\n";

        Assert.Equal(BlockKind.Heading, DocumentStructure.Read(body, keepInlineCode: false)[0].Kind);
        Assert.All(DocumentStructure.Read(body, keepInlineCode: false, plainTextHeadings: false), b => Assert.Equal(BlockKind.Prose, b.Kind));
    }
}
