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
