using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit.Tests.Generation;

/// <summary>Structure-aware ingestion and extractive answers through the real pipeline (MiniLM, embedded store).</summary>
public sealed class StructuredAnswerTests(MiniLmFixture model) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Docs = new("acme", "docs");

    private const string Install = """
        # Installing Acme CLI

        Acme CLI deploys static sites to the Acme edge network.

        ## Supported platforms

        | Platform | Minimum version | Architectures |
        |----------|-----------------|---------------|
        | Ubuntu   | 20.04           | x64 and arm64 |
        | Windows  | 10              | x64           |

        ## Install on macOS

        Install with Homebrew:

        ```sh
        brew install acme/tap/acme-cli
        ```
        """;

    private const string Faq = """
        Q: How do I reset my router password?
        A: Hold the reset button on the back of the router for ten seconds.

        Q: When is my monthly bill issued?
        A: Bills are issued on the first working day of each month.
        """;

    private async Task<IRagPipeline> BuildAsync(Microsoft.Extensions.AI.IChatClient? chat = null)
    {
        IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(model.Embedder).UseChatClient(chat).Build();
        await rag.IngestAsync(Docs, [new RagDocument("install.md", Install), new RagDocument("faq.txt", Faq)]);
        return rag;
    }

    [Fact]
    public async Task A_table_row_answers_as_a_labelled_sentence_without_pipes()
    {
        using IRagPipeline rag = await BuildAsync();

        RagAnswer answer = await rag.AskAsync("What is the minimum Ubuntu version?", new AskOptions(Docs));

        Assert.StartsWith("Ubuntu: minimum version 20.04", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("|", answer.Text, StringComparison.Ordinal);
        Assert.Equal("install.md", answer.Citations.Single().DocumentId);
    }

    [Fact]
    public async Task A_command_is_the_answer_without_its_fence()
    {
        using IRagPipeline rag = await BuildAsync();

        RagAnswer answer = await rag.AskAsync("How do I install Acme CLI on macOS?", new AskOptions(Docs));

        Assert.Contains("brew install acme/tap/acme-cli [1]", answer.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("```", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_text_FAQ_question_retrieves_its_answer_not_its_echo()
    {
        using IRagPipeline rag = await BuildAsync();

        RagAnswer answer = await rag.AskAsync("How can I reset the password of my router?", new AskOptions(Docs));

        Assert.Equal("Hold the reset button on the back of the router for ten seconds. [1]", answer.Text);
        Assert.Equal("faq.txt", answer.Citations.Single().DocumentId);
        Assert.Equal(1, answer.Citations.Single().Number);
    }

    [Fact]
    public async Task A_question_the_documents_cannot_answer_gets_I_dont_know()
    {
        using IRagPipeline rag = await BuildAsync();

        RagAnswer answer = await rag.AskAsync("Does Acme CLI support FreeBSD?", new AskOptions(Docs));

        Assert.StartsWith(ExtractiveAnswerer.DontKnow, answer.Text, StringComparison.Ordinal);
        Assert.Empty(answer.Citations);
    }

    [Fact]
    public async Task The_prompt_carries_the_section_breadcrumb_and_numbers_the_sources()
    {
        var chat = new RecordingChatClient();
        using IRagPipeline rag = await BuildAsync(chat);

        RagAnswer answer = await rag.AskAsync("What is the minimum Ubuntu version?", new AskOptions(Docs));

        Assert.Contains("[1] Installing Acme CLI › Supported platforms: Ubuntu: minimum version 20.04", chat.LastPrompt, StringComparison.Ordinal);
        Assert.DoesNotContain("§", chat.LastPrompt, StringComparison.Ordinal);
        Assert.Equal("install.md", answer.Citations.Single().DocumentId); // the model cited [1]
        Assert.DoesNotContain("§", answer.Citations.Single().Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_embedder_fails_on_the_sentences_the_words_alone_still_answer()
    {
        var embedder = new FailingAfterOneCallEmbedder(model.Embedder);
        using IRagPipeline rag = new RagPipelineBuilder().UseEmbeddingGenerator(embedder).Build();
        await rag.IngestAsync(Docs, [new RagDocument("install.md", Install), new RagDocument("faq.txt", Faq)]);
        embedder.FailAfterNextCall = true; // the question is embedded, the sentences are not

        RagAnswer answer = await rag.AskAsync("How do I reset my router password?", new AskOptions(Docs));

        Assert.Equal("Hold the reset button on the back of the router for ten seconds. [1]", answer.Text);
    }

    [Fact]
    public async Task A_block_that_answers_the_rest_of_the_question_but_not_its_unfound_words_gets_I_dont_know()
    {
        const string question = "How do I rotate my API key?";
        var sources = new[]
        {
            new ChunkMatch(new DocumentKey("t", "c", "sdk"), "sdk#0",
                "§ Pulse SDK reference › Client\nCreates a client. Every request made through the client is signed with the API key.\n\n"
                + "AuthenticationError: when The API key is missing or revoked.", 0.6f, 1),
        };
        ReadOnlyMemory<float> vector = (await model.Embedder.GenerateAsync([question]))[0].Vector;

        ExtractiveAnswer answer = await ExtractiveAnswerer.AnswerAsync(question, vector, sources, model.Embedder, default);

        // "rotate" is in no source; without it the question sits closer to the best block, which is about API keys, not rotating them.
        Assert.True(answer.Refused, answer.Text);
        Assert.True(answer.Gap > ExtractiveAnswerer.Calibration.MaxGap, $"gap {answer.Gap}");
        Assert.True(answer.Score >= ExtractiveAnswerer.Calibration.MinScore, $"score {answer.Score}"); // the gap refused it, not the score
    }

    [Fact]
    public async Task A_block_that_does_not_say_what_the_question_asks_for_gets_I_dont_know()
    {
        const string question = "How much does the Premium plan cost?";
        var sources = new[]
        {
            new ChunkMatch(new DocumentKey("t", "c", "plans"), "plans#0",
                "§ Nimbus Notes › Plans\nThe free plan syncs two devices. The Premium plan removes the limit.", 0.6f, 1),
        };
        ReadOnlyMemory<float> vector = (await model.Embedder.GenerateAsync([question]))[0].Vector;

        ExtractiveAnswer answer = await ExtractiveAnswerer.AnswerAsync(question, vector, sources, model.Embedder, default);

        // The block names the Premium plan but no price, neither by a word of the group nor by an amount of money.
        Assert.True(answer.Refused, answer.Text);
        Assert.True(answer.PropertyUnsaid);
        Assert.True(answer.Score >= ExtractiveAnswerer.Calibration.MinScore && answer.Gap <= ExtractiveAnswerer.Calibration.MaxGap, $"score {answer.Score}, gap {answer.Gap}"); // not refused by score or gap
    }

    [Fact]
    public async Task A_question_for_a_quantity_gets_I_dont_know_from_a_block_without_any_number()
    {
        const string question = "How many partitions can a topic have at most?";
        var sources = new[]
        {
            new ChunkMatch(new DocumentKey("t", "c", "concepts"), "concepts#0",
                "§ Harbor › Topics and partitions\nA topic is split into partitions so that several machines can share its load. The number of partitions is fixed when the topic is created.", 0.6f, 1),
        };
        ReadOnlyMemory<float> vector = (await model.Embedder.GenerateAsync([question]))[0].Vector;

        ExtractiveAnswer answer = await ExtractiveAnswerer.AnswerAsync(question, vector, sources, model.Embedder, default);

        // The block names partitions and even their number, but states none.
        Assert.True(answer.Refused, answer.Text);
        Assert.True(answer.QuantityUnsaid);
        Assert.True(answer.Score >= ExtractiveAnswerer.Calibration.MinScore && answer.Gap <= ExtractiveAnswerer.Calibration.MaxGap && !answer.PropertyUnsaid, $"score {answer.Score}, gap {answer.Gap}"); // not refused by score, gap or property
    }
}
