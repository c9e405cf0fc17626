using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit.Tests.Generation;

public sealed class ExtractiveAnswerTests
{
    private static ChunkMatch Chunk(string id, string text, float score) => new(new DocumentKey("t", "c", id), id + "#0", text, score, 1);

    [Fact]
    public void The_sentence_whose_subject_the_question_asks_about_comes_first_and_unrelated_sources_are_dropped()
    {
        var sources = new[]
        {
            Chunk("bench", "`RagKit (before)` is a frozen copy of the old tier, kept for benchmarks.", 0.56f),
            Chunk("intro", "RagKit is a .NET library for retrieval-augmented generation with tiered answer caching.", 0.55f),
            Chunk("misc", "Compaction writes to a temporary file and renames it.", 0.40f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("What is RagKit?", sources);

        Assert.StartsWith("RagKit is a .NET library", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Compaction", answer.Text, StringComparison.Ordinal); // shares no word with the question
        Assert.DoesNotContain("`", answer.Text, StringComparison.Ordinal);
        Assert.Equal("intro", answer.Citations[0].DocumentId);
    }

    [Fact]
    public void A_code_block_that_quotes_the_question_is_an_example_not_the_answer()
    {
        // A page that shows a transcript of earlier asks (docs/extractive.md shows the quickstart's output): the
        // transcript contains the question word for word, so it matches every word, but it only echoes the question.
        var sources = new[]
        {
            Chunk("transcript", "The quickstart prints, after:\n\n```\nQ: How are cached answers invalidated when a document changes?\nA: Ingesting a document again with new text invalidates them.\n```", 0.80f),
            Chunk("scopes", "When a document changes, every cached answer that cites it is invalidated in every tier.", 0.70f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How are cached answers invalidated when a document changes?", sources);

        Assert.StartsWith("When a document changes, every cached answer", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Q:", answer.Text, StringComparison.Ordinal);
        Assert.Equal("scopes", answer.Citations[0].DocumentId);
    }

    [Fact]
    public void Citations_are_numbered_one_to_n_in_the_order_they_appear_and_name_the_quoted_source()
    {
        var sources = new[]
        {
            Chunk("shipping", "Parcels ship from our warehouse in Lyon.", 0.61f),
            Chunk("other", "Gift cards never expire.", 0.55f),
            Chunk("returns", "Refunds for returned items are paid within 14 days of the return.", 0.52f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("When are refunds for returned items paid?", sources);

        Assert.Contains("14 days of the return. [1]", answer.Text, StringComparison.Ordinal); // the third source, cited first, is [1]
        Assert.DoesNotContain("[3]", answer.Text, StringComparison.Ordinal);
        Assert.Equal(1, answer.Citations[0].Number);
        Assert.Equal("returns", answer.Citations[0].DocumentId);
        Assert.Equal("returns", answer.Sources[0].Document.DocumentId); // [n] names the n-th of the reordered sources
        Assert.Equal(3, answer.Sources.Count); // none is lost: provenance still names every source
    }

    [Fact]
    public void A_chunk_with_a_flattened_table_is_never_quoted_with_its_pipes()
    {
        // A chunk stored by an older version: the metrics table of docs/telemetry.md flattened into one line.
        var sources = new[]
        {
            Chunk("telemetry", "| | ragkit.generations | counter | generations, by generator | | ragkit.asks | counter | asks by tier |", 0.58f),
            Chunk("intro", "RagKit counts every generation in a metric named after the generator.", 0.50f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Which metric counts generations?", sources);

        Assert.DoesNotContain("|", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_question_no_source_answers_gets_I_dont_know_without_citations()
    {
        var sources = new[]
        {
            Chunk("install", "§ Installing › Supported platforms\nUbuntu: minimum version 20.04; architectures x64 and arm64.", 0.45f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How much does a yearly licence cost?", sources);

        Assert.True(answer.Refused);
        Assert.StartsWith(ExtractiveAnswerer.DontKnow, answer.Text, StringComparison.Ordinal);
        Assert.Empty(answer.Citations);
    }

    [Fact]
    public void The_FAQ_question_in_the_breadcrumb_is_context_and_never_the_answer()
    {
        var sources = new[]
        {
            Chunk("faq", "§ FAQ › How do I reset my router password?\nHold the reset button on the back for ten seconds.", 0.7f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How do I reset my router password?", sources);

        Assert.Equal("Hold the reset button on the back for ten seconds. [1]", answer.Text);
    }

    [Fact]
    public void A_command_is_quoted_with_its_lead_in_and_without_fence()
    {
        var sources = new[]
        {
            Chunk("install", "§ Installing › Install with a package manager\nOn macOS, install with Homebrew:\n\n```sh\nbrew install acme/tap/acme-cli\n```", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Which command installs it with Homebrew?", sources);

        Assert.Contains("brew install acme/tap/acme-cli", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("```", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("sh\n", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_with_a_pipe_is_still_quoted()
    {
        var sources = new[]
        {
            Chunk("logs", "§ Troubleshooting › Reading the logs\nTo list only errors, run:\n\n```\njournalctl -u acme | grep ERROR\n```", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Which command lists only the errors in the logs?", sources);

        Assert.Equal("To list only errors, run: journalctl -u acme | grep ERROR [1]", answer.Text);
    }

    [Fact]
    public void Two_sentences_of_one_source_are_quoted_in_reading_order()
    {
        var sources = new[]
        {
            Chunk("changes", "§ Changing a booking\nYou can change an Advance ticket up to 6pm the day before travel for a fee of 10 pounds. Anytime tickets can be changed for free.", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Can tickets be changed?", sources);

        Assert.Equal("You can change an Advance ticket up to 6pm the day before travel for a fee of 10 pounds. [1] Anytime tickets can be changed for free. [1]", answer.Text);
    }

    [Fact]
    public void A_question_in_plain_words_finds_a_setting_by_the_parts_of_its_dotted_name()
    {
        var sources = new[]
        {
            Chunk("general", "§ Settings › General\nThe default name of the hub is Hearth Hub.", 0.6f),
            Chunk("network", "§ Settings › Network\nnet.mqtt_port: default 1883; notes Use 8883 for TLS.", 0.5f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("What is the default MQTT port?", sources);

        Assert.Equal("net.mqtt_port: default 1883; notes Use 8883 for TLS. [1]", answer.Text);
        Assert.Equal("network", answer.Citations.Single().DocumentId);
    }

    [Fact]
    public void A_name_in_the_question_is_mentioned_when_its_letters_and_digits_are()
    {
        var sources = new[] { Chunk("network", "§ Settings › Network\nnet.wifi_band: default auto; notes the hub cannot join 6 GHz networks.", 0.6f) };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Can the hub join a 6 GHz Wi-Fi network?", sources);

        Assert.False(answer.Refused); // "Wi-Fi" is the "wifi" of net.wifi_band
        Assert.Contains("cannot join 6 GHz networks", answer.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("How do I print from an iPhone?")] // a capital inside a word
    [InlineData("How do I print labels on an iPhone?")]
    [InlineData("Can I print labels with version 4.0?")] // a version no source has
    public void A_name_or_version_no_source_mentions_gets_I_dont_know(string question)
    {
        var sources = new[]
        {
            Chunk("print", "§ Printing › Version 5.2\nTo print labels, open the label and choose Print from the File menu.", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer(question, sources);

        Assert.True(answer.Refused, answer.Text);
    }

    [Fact]
    public void A_list_item_is_quoted_with_its_heading_when_the_heading_holds_what_is_asked()
    {
        var sources = new[]
        {
            Chunk("notes", "§ Release notes › Version 5.2.0 - 14 April 2026\n- Added encryption for shared notebooks.\n- Notes can now be exported to PDF from the share menu.", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("In which version was PDF export added?", sources);

        Assert.Equal("Version 5.2.0 - 14 April 2026: Notes can now be exported to PDF from the share menu. [1]", answer.Text);
    }

    [Fact]
    public void A_list_item_the_question_fully_names_is_quoted_without_its_heading()
    {
        var sources = new[] { Chunk("notes", "§ Release notes › Version 5.2.0\n- PDF export was added in this version.", 0.6f) };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("In which version was PDF export added?", sources);

        Assert.Equal("PDF export was added in this version. [1]", answer.Text);
    }

    [Fact]
    public void How_long_asks_for_a_duration_and_the_word_long_is_not_looked_for()
    {
        var sources = new[]
        {
            Chunk("graphs", "Sensor history graphs can get long.", 0.6f),
            Chunk("privacy", "Sensor history is kept on the hub for 90 days.", 0.5f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How long is sensor history kept?", sources);

        Assert.Equal("Sensor history is kept on the hub for 90 days. [1]", answer.Text);
    }

    [Fact]
    public void A_labelled_table_row_is_not_a_sentence_about_its_label()
    {
        var sources = new[]
        {
            Chunk("telemetry", "RagKit: ids 1000-1999 for its log events.", 0.6f),
            Chunk("intro", "RagKit is a library that answers questions from documents.", 0.5f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("What is RagKit?", sources);

        Assert.StartsWith("RagKit is a library that answers questions from documents. [1]", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dotted_name_is_weaker_evidence_than_the_word_itself()
    {
        var sources = new[]
        {
            Chunk("telemetry", "ragkit.ask.duration: type histogram; unit ms.", 0.6f),
            Chunk("intro", "RagKit is a library that answers questions from documents.", 0.5f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("What is RagKit?", sources);

        Assert.Equal("RagKit is a library that answers questions from documents. [1]", answer.Text);
    }

    [Fact]
    public void A_definition_is_not_followed_by_a_block_that_merely_mentions_its_subject()
    {
        var sources = new[]
        {
            Chunk("intro", "RagKit is a library that answers questions from documents.", 0.6f),
            Chunk("telemetry", "Event ids 1000-1999 belong to RagKit.", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("What is RagKit?", sources);

        Assert.Equal("RagKit is a library that answers questions from documents. [1]", answer.Text);
    }

    [Fact]
    public void A_command_is_quoted_with_the_paragraph_that_says_what_it_does_when_the_question_asks_how_to()
    {
        var sources = new[]
        {
            Chunk("cli", "§ kestrel command reference › kestrel prune\nDeletes snapshots outside the retention policy.\n\n```\nkestrel prune --keep-daily 7\n```", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How do I remove old snapshots?", sources);

        Assert.Equal("Deletes snapshots outside the retention policy: kestrel prune --keep-daily 7 [1]", answer.Text);
    }

    [Fact]
    public void A_version_in_a_series_the_sources_name_is_mentioned()
    {
        var sources = new[]
        {
            Chunk("upgrade", "§ Upgrading › Before you start\n- Upgrade from the latest 3.x release; older 3.x releases must first be updated to 3.9.", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("Can I upgrade from 3.4?", sources);

        Assert.False(answer.Refused, answer.Text); // 3.4 is one of the 3.x releases
        Assert.Contains("updated to 3.9", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_question_word_finds_the_word_of_its_group_that_the_sources_use()
    {
        var sources = new[]
        {
            Chunk("trial", "§ Tally plans › Trial\nTeam and Business start with a 14-day trial.", 0.6f),
            Chunk("plans", "§ Tally plans › Plans\nTeam: price $8; users up to 50.", 0.55f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How much does the Team plan cost?", sources);

        Assert.StartsWith("Team: price $8", answer.Text, StringComparison.Ordinal); // "cost" is said as "price"
    }

    [Theory]
    [InlineData("What is the price of the Fibre 500 plan?", "price")]
    [InlineData("How much does the Premium plan cost?", "cost")]
    [InlineData("Which port does the web interface use?", "port")]
    [InlineData("What is the default humidity target?", "target")]
    [InlineData("How much storage does the Team plan include?", "storage")]
    [InlineData("How heavy is each loaf?", "heavy")]
    [InlineData("How long is the trial?", "long")]
    [InlineData("How often should I descale?", "often")]
    [InlineData("What is the deadline for claiming compensation?", "deadline")]
    [InlineData("How do I remove old snapshots?", null)]
    [InlineData("Can I pay by bank transfer?", null)]
    public void The_asked_property_is_the_head_of_the_questions_wh_phrase(string question, string? property)
    {
        Assert.Equal(property is null ? null : ExtractiveAnswerer.Words(property).Single(), ExtractiveAnswerer.AskedProperty(question));
    }

    [Theory]
    [InlineData("How much does the Premium plan cost?", "The Premium plan removes the limit.", false)]
    [InlineData("How much does the Team plan cost?", "Team: price $8; users up to 50.", true)] // by name, in its group
    [InlineData("How much does the Team plan cost?", "The Team plan is $8 per user.", true)] // by a quantity in its units
    [InlineData("What is the maximum size of an attachment?", "Attachments can be up to 250 MB.", true)]
    [InlineData("What is the maximum size of a message?", "Messages stay in the log for seven days.", false)]
    [InlineData("How many copies of each message are written?", "Harbor writes each message to two replicas.", true)] // any count
    [InlineData("How much storage does the Team plan include?", "Every plan includes unlimited projects.", false)]
    [InlineData("How fast are refunds paid?", "Refunds are paid within 21 days.", true)] // "how fast" by how long it takes
    [InlineData("What is the print speed of the LP-40?", "Calibrate by holding FEED for 2 seconds.", false)] // a speed is not a duration
    [InlineData("What is the deadline for claiming compensation?", "Claims must reach us within 28 days of the journey.", true)] // a deadline as a duration
    [InlineData("What is the deadline for claiming compensation?", "Claims are made online with the booking number.", false)]
    [InlineData("What is the cut-off time for same-day dispatch?", "Orders placed before 2 pm on a weekday are dispatched the same day.", true)] // a clock time
    [InlineData("What are the opening hours of the shop?", "Open Monday to Saturday, 9 am to 5.30 pm.", true)]
    [InlineData("What are the opening hours of the shop?", "A loaf bakes for forty-five minutes.", false)] // a duration is not opening hours
    [InlineData("What is the wattage of the kettle?", "It draws 2200 W at full boil.", true)]
    [InlineData("What is the standby power consumption?", "The kettle sleeps after 2 hours without use.", false)]
    [InlineData("What voltage does the kettle need?", "Supply: 220–240 V AC, 50/60 Hz.", true)]
    [InlineData("What is the frequency of the mains supply?", "Supply: 220–240 V AC, 50/60 Hz.", true)]
    [InlineData("How long is the warranty?", "The kettle is covered for 2 years from the date of purchase.", true)]
    [InlineData("How long is the warranty?", "The warranty does not cover limescale damage.", false)] // names the warranty, not how long
    [InlineData("How long is the guarantee?", "Keep the receipt as the proof of purchase.", false)]
    [InlineData("How long is the power cord?", "Cord length: 75 cm.", true)] // a length
    [InlineData("What discount do members get?", "Members get 10% off workshops.", true)]
    [InlineData("What is the capacity of the kettle?", "It holds 1.7 litres.", true)]
    [InlineData("What is the date of the next release?", "Members may return pots as they wish.", false)] // "may" is not a month
    [InlineData("How often should I descale?", "Descale once a month in hard-water areas.", true)]
    [InlineData("How soon do I get my money back?", "Refunds are made within 5 working days of the return reaching us.", true)] // "working days" are days
    [InlineData("How soon do I get my money back?", "Refunds are made to the original payment method.", false)]
    public void A_block_states_the_asked_property_by_name_or_by_a_quantity_in_its_units(string question, string text, bool states)
    {
        Assert.Equal(states, ExtractiveAnswerer.StatesAskedProperty(question, text));
    }

    [Fact]
    public void A_step_that_ends_with_a_colon_is_quoted_with_the_command_under_it()
    {
        var sources = new[]
        {
            Chunk("upgrade", "§ Upgrading › Steps\n- Take a full backup.\n- Stop the service:\n\n```\nsudo systemctl stop ledger\n```\n\n- Install the new package.", 0.6f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("How do I stop the service?", sources);

        Assert.Equal("Stop the service: sudo systemctl stop ledger [1]", answer.Text);
    }

    [Fact]
    public void A_noun_in_ction_meets_its_verb()
    {
        var sources = new[]
        {
            Chunk("policies", "§ Policies › Click and collect\nCollect from our shop, Monday to Saturday, 9 am to 5.30 pm.", 0.5f),
            Chunk("delivery", "§ Policies › Delivery\nStandard delivery takes 2 to 4 working days.", 0.5f),
        };

        ExtractiveAnswer answer = ExtractiveAnswerer.Answer("When can I do a collection?", sources);

        Assert.StartsWith("Collect from our shop", answer.Text, StringComparison.Ordinal);
    }
}

