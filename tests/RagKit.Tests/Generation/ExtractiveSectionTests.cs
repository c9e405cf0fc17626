using RagKit.Generation;
using RagKit.Ingestion;
using RagKit.Retrieval;

namespace RagKit.Tests.Generation;

/// <summary>Answers that need the section a block sits in: a changelog's release heading.</summary>
public sealed class ExtractiveSectionTests
{
    private static ChunkMatch Chunk(string id, string text, float score) => new(new DocumentKey("t", "c", id), id + "#0", text, score, 1);

    [Fact]
    public void A_changelog_item_is_quoted_with_the_release_heading_when_the_question_asks_which_version()
    {
        string changelog = "# Changelog\n\n## [2.4.0] - 2026-03-02\n\n### Fixed\n\n- Uploads no longer stall after the laptop wakes from sleep.\n\n"
            + "## [2.3.0] - 2026-01-10\n\n### Added\n\n- Dark mode for the settings window.\n";
        ChunkMatch[] sources = StructuredChunker.Chunk(changelog, 800, 0).Select((c, i) => Chunk("changelog" + i, c, 0.5f)).ToArray();

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Which version fixed uploads stalling after sleep?", sources);

        Assert.StartsWith("[2.4.0] - 2026-03-02: Uploads no longer stall", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_release_heading_is_not_added_when_the_question_does_not_ask_for_a_version_or_the_block_states_one()
    {
        Assert.Null(ExtractiveAnswerer.SectionStating("What happens after the laptop wakes from sleep?", "Uploads no longer stall after sleep.", "Changelog › [2.4.0] - 2026-03-02 › Fixed"));
        Assert.Null(ExtractiveAnswerer.SectionStating("Which macOS version was dropped?", "Support for macOS 11.", "Changelog › [2.4.0] - 2026-03-02 › Removed"));
        Assert.Equal("[2.4.0] - 2026-03-02", ExtractiveAnswerer.SectionStating("When was dark mode added?", "Dark mode for the settings window.", "Changelog › [2.4.0] - 2026-03-02 › Added"));
    }

    [Fact]
    public void A_why_question_is_answered_by_the_cause_of_a_knowledge_base_article_with_its_paragraph_not_by_its_symptoms()
    {
        string article = "# KB12: The VPN disconnects every few minutes\n\n## Symptoms\n\nThe VPN connection drops every few minutes and comes back on its own.\n\n"
            + "## Cause\n\nSome home routers close idle UDP mappings after 60 seconds. When no traffic passes for that long, the router drops the connection.\n\n"
            + "## Resolution\n\nSet the heartbeat interval to 25 seconds so that the connection is not dropped.\n";
        ChunkMatch[] sources = StructuredChunker.Chunk(article, 800, 0).Select((c, i) => Chunk("kb" + i, c, 0.5f)).ToArray();

        ExtractiveAnswer why = ExtractiveAnswerer.Answer("Why does my VPN connection keep dropping?", sources);
        ExtractiveAnswer what = ExtractiveAnswerer.Answer("What should I do when my VPN connection keeps dropping?", sources);

        Assert.StartsWith("Some home routers close idle UDP mappings after 60 seconds. When no traffic passes", why.Text, StringComparison.Ordinal);
        Assert.StartsWith("Set the heartbeat interval to 25 seconds", what.Text, StringComparison.Ordinal);
        Assert.Null(ExtractiveAnswerer.AnswerRole("How long is the keep-alive interval?"));
    }
}
