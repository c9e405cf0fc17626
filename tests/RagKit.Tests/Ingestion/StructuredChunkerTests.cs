using RagKit.Ingestion;

namespace RagKit.Tests.Ingestion;

public sealed class StructuredChunkerTests
{
    // 767 characters: headings, a table, two code blocks and a list, the shape that used to become one chunk.
    private const string Install = """
        # Installing Acme CLI

        Acme CLI deploys static sites to the Acme edge network. It is a single binary.

        ## Supported platforms

        | Platform | Minimum version | Architectures |
        |----------|-----------------|---------------|
        | Ubuntu   | 20.04           | x64 and arm64 |
        | Windows  | 10              | x64           |

        ## Prerequisites

        - an Acme account with the **Deployer** role
        - `git` 2.30 or later

        ## Install

        On macOS, install with Homebrew:

        ```sh
        brew install acme/tap/acme-cli
        ```

        Check the installed version:

            acme --version
        """;

    [Fact]
    public void Headings_start_chunks_and_become_the_breadcrumb_of_every_chunk_under_them()
    {
        List<string> chunks = StructuredChunker.Chunk(Install, 800, 120);

        Assert.Equal(4, chunks.Count);
        Assert.StartsWith("§ Installing Acme CLI\n", chunks[0], StringComparison.Ordinal);
        Assert.StartsWith("§ Installing Acme CLI › Supported platforms\n", chunks[1], StringComparison.Ordinal);
        Assert.StartsWith("§ Installing Acme CLI › Prerequisites\n", chunks[2], StringComparison.Ordinal);
        Assert.StartsWith("§ Installing Acme CLI › Install\n", chunks[3], StringComparison.Ordinal);
        Assert.All(chunks, c => Assert.DoesNotContain("#", c, StringComparison.Ordinal));
    }

    [Fact]
    public void Table_rows_become_sentences_labelled_by_the_header()
    {
        string platforms = StructuredChunker.Chunk(Install, 800, 120)[1];

        Assert.Contains("Ubuntu: minimum version 20.04; architectures x64 and arm64.", platforms, StringComparison.Ordinal);
        Assert.Contains("Windows: minimum version 10; architectures x64.", platforms, StringComparison.Ordinal);
        Assert.DoesNotContain("|", platforms, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_blocks_stay_whole_and_list_items_stay_items()
    {
        List<string> chunks = StructuredChunker.Chunk(Install, 800, 120);

        Assert.Contains("```\nbrew install acme/tap/acme-cli\n```", chunks[3], StringComparison.Ordinal);
        Assert.Contains("```\nacme --version\n```", chunks[3], StringComparison.Ordinal); // indented code too
        Assert.Contains("- an Acme account with the Deployer role\n- `git` 2.30 or later", chunks[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Q: How do I reset my password?\nA: Hold the reset button for ten seconds.\n\nQ: When is the bill issued?\nA: On the first working day.")]
    [InlineData("How do I reset my password?\nHold the reset button for ten seconds.\n\nWhen is the bill issued?\nOn the first working day.")]
    [InlineData("1. How do I reset my password?\n   Hold the reset button for ten seconds.\n\n2. When is the bill issued?\n   On the first working day.")]
    [InlineData("### How do I reset my password?\n\nHold the reset button for ten seconds.\n\n### When is the bill issued?\n\nOn the first working day.")]
    public void FaqQuestionsBecomeTheSectionOfTheirAnswers(string faq)
    {
        List<string> chunks = StructuredChunker.Chunk(faq, 800, 120);

        Assert.Equal(
            ["§ How do I reset my password?\nHold the reset button for ten seconds.", "§ When is the bill issued?\nOn the first working day."],
            chunks);
    }

    [Fact]
    public void A_long_section_is_packed_by_sentences_with_overlap_and_keeps_its_breadcrumb()
    {
        string text = "# Guide\n\n" + string.Join(' ', Enumerable.Range(1, 30).Select(i => $"Sentence number {i} says one thing."));

        List<string> chunks = StructuredChunker.Chunk(text, 200, 60);

        Assert.True(chunks.Count > 3);
        Assert.All(chunks, c => Assert.StartsWith("§ Guide\n", c, StringComparison.Ordinal));
        Assert.All(chunks, c => Assert.True(c.Length <= 200, c));
        Assert.Contains("number 30 says", chunks[^1], StringComparison.Ordinal);
        string firstTail = chunks[0][(chunks[0].LastIndexOf("Sentence", StringComparison.Ordinal))..];
        Assert.Contains(firstTail, chunks[1], StringComparison.Ordinal); // the last sentence is repeated
    }

    [Fact]
    public void Prose_without_markup_chunks_as_before()
    {
        const string abstractText = "Alterations of the architecture of cerebral white matter in the developing human brain can affect cortical development. "
            + "We used diffusion tensor imaging to study 17 preterm infants.";

        Assert.Equal(SentenceChunker.Chunk(abstractText, 800, 120), StructuredChunker.Chunk(abstractText, 800, 120));
    }

    [Fact]
    public void A_document_of_headings_alone_is_kept_as_one_chunk()
    {
        Assert.Equal(["Release notes › Version 4.2"], StructuredChunker.Chunk("# Release notes\n\n## Version 4.2\n", 800, 120));
        Assert.Empty(StructuredChunker.Chunk("  \n\n ", 800, 120));
    }

    [Fact]
    public void Short_lines_of_plain_text_become_its_headings()
    {
        const string notes = "Nimbus release notes\n\nVersion 5.2.0 - 14 April 2026\n* Notes can be exported to PDF.\n\nVersion 5.1.0\n* Reminders can repeat weekly.\n";

        List<string> chunks = StructuredChunker.Chunk(notes, 800, 120);

        Assert.Equal(
            ["§ Nimbus release notes › Version 5.2.0 - 14 April 2026\n- Notes can be exported to PDF.", "§ Nimbus release notes › Version 5.1.0\n- Reminders can repeat weekly."],
            chunks);
    }

    [Fact]
    public void Short_lines_are_not_headings_in_a_document_with_markdown_headings()
    {
        List<string> chunks = StructuredChunker.Chunk("# Setup\n\nBefore you start\n\nInstall the tool first.\n", 800, 120);

        Assert.Equal(["§ Setup\nBefore you start\n\nInstall the tool first."], chunks);
    }

    [Fact]
    public void An_FAQ_question_after_a_sentence_that_sets_it_up_is_still_the_question()
    {
        List<string> chunks = StructuredChunker.Chunk("I deleted a note by mistake. Can I get it back?\nDeleted notes stay in the Trash for 60 days.", 800, 120);

        Assert.Equal(["§ I deleted a note by mistake. Can I get it back?\nDeleted notes stay in the Trash for 60 days."], chunks);
    }

    [Fact]
    public void A_paragraph_that_opens_with_a_bold_sentence_is_labelled_by_it()
    {
        const string guide = "# Troubleshooting\n\n**Note:** descale monthly.\n\n**The app says the kettle is offline.** — The kettle sleeps after 2 hours. Press any button.\n";

        List<string> chunks = StructuredChunker.Chunk(guide, 800, 120);

        // The problem labels its fix like an FAQ question; a bold phrase ("Note:") stays in its paragraph.
        Assert.Equal(["§ Troubleshooting\nNote: descale monthly.", "§ Troubleshooting › The app says the kettle is offline.\nThe kettle sleeps after 2 hours. Press any button."], chunks);
    }

    [Fact]
    public void Numbered_sections_of_plain_text_become_headings_and_clause_numbers_are_dropped()
    {
        const string policies = "Customer policies\n\n1. Delivery\n\n1.1 Orders ship in 2 days.\n1.2 Delivery is free over 60 pounds.\n\n2. Returns\n\n2.1 Pots may be returned within 30 days.\n2.4 GHz routers are not sold.\n";

        List<string> chunks = StructuredChunker.Chunk(policies, 800, 120);

        Assert.Equal(
            ["§ Customer policies › Delivery\nOrders ship in 2 days.\n\nDelivery is free over 60 pounds.", "§ Customer policies › Returns\nPots may be returned within 30 days. 2.4 GHz routers are not sold."],
            chunks);
    }
}

