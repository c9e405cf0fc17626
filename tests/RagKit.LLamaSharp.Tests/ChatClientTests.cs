using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace RagKit.LLamaSharp.Tests;

[Collection(TinyModelCollection.Name)]
public sealed class ChatClientTests(TinyModelFixture model)
{
    private const string System = "You are RagKit's test generator. Answer from the numbered sources and cite them as [1], [2].";

    private static ChatMessage[] Ask(string question) => [new(ChatRole.System, System), new(ChatRole.User, question)];

    [Fact]
    public async Task Generates_text_and_marks_token_limit_as_incomplete()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        var response = await client.GetResponseAsync(Ask("What is RagKit?"));

        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(true, response.AdditionalProperties?[LLamaSharpChatClient.IncompletePropertyName]);
        Assert.Equal(24, response.Usage?.OutputTokenCount);
        Assert.True(response.Usage?.InputTokenCount > 0);
    }

    [Fact]
    public async Task ChatOptions_MaxOutputTokens_overrides_the_default_limit()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        var response = await client.GetResponseAsync(Ask("Short?"), new ChatOptions { MaxOutputTokens = 5 });
        Assert.Equal(5, response.Usage?.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public async Task Streaming_deltas_concatenate_to_the_non_streaming_text()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        var expected = await client.GetResponseAsync(Ask("Stream me"));

        var text = new StringBuilder();
        var deltas = 0;
        ChatFinishReason? finish = null;
        object? incomplete = null;
        await foreach (var update in client.GetStreamingResponseAsync(Ask("Stream me")))
        {
            if (update.Text.Length > 0)
            {
                deltas++;
                text.Append(update.Text);
            }

            finish ??= update.FinishReason;
            incomplete ??= update.AdditionalProperties?[LLamaSharpChatClient.IncompletePropertyName];
        }

        Assert.True(deltas > 1);
        Assert.Equal(expected.Text, text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(true, incomplete);

        var aggregated = await client.GetStreamingResponseAsync(Ask("Stream me")).ToChatResponseAsync();
        Assert.Equal(expected.Text, aggregated.Text);
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_and_equal_their_sequential_results()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        string[] questions = ["Who wrote it?", "When was it built?", "Why does the cache exist?", "How fast is a hit?"];

        var sequential = new List<string>();
        foreach (var q in questions)
        {
            sequential.Add((await client.GetResponseAsync(Ask(q))).Text);
        }

        var concurrent = await Task.WhenAll(questions.Select(q => client.GetResponseAsync(Ask(q))));

        Assert.Equal(sequential, concurrent.Select(r => r.Text));
        Assert.All(concurrent, r => Assert.Equal(ChatFinishReason.Length, r.FinishReason));
        Assert.True(sequential.Distinct().Count() > 1, "different questions should give different answers");
    }

    [Fact]
    public async Task Prefix_reuse_on_and_off_give_identical_greedy_output()
    {
        using var reuse = new LLamaSharpChatClient(model.Options(o => o.ReusePromptPrefix = true));
        using var noReuse = new LLamaSharpChatClient(model.Options(o => o.ReusePromptPrefix = false));
        foreach (var q in new[] { "First question", "Second question" })
        {
            var a = await reuse.GetResponseAsync(Ask(q));
            var b = await noReuse.GetResponseAsync(Ask(q));
            Assert.Equal(b.Text, a.Text);
        }
    }

    [Fact]
    public async Task Different_system_prefixes_are_kept_apart()
    {
        using var client = new LLamaSharpChatClient(model.Options(o => o.MaxCachedPrefixes = 1));
        using var reference = new LLamaSharpChatClient(model.Options(o => o.ReusePromptPrefix = false));
        ChatMessage[] other = [new(ChatRole.System, "Another system text entirely."), new(ChatRole.User, "Same question")];
        var tasks = new[] { client.GetResponseAsync(Ask("Same question")), client.GetResponseAsync(other), client.GetResponseAsync(Ask("Same question")) };
        var results = await Task.WhenAll(tasks);

        Assert.Equal((await reference.GetResponseAsync(Ask("Same question"))).Text, results[0].Text);
        Assert.Equal((await reference.GetResponseAsync(other)).Text, results[1].Text);
        Assert.Equal(results[0].Text, results[2].Text);
    }

    [Fact]
    public async Task Timeout_returns_the_partial_answer_marked_incomplete()
    {
        using var client = new LLamaSharpChatClient(model.Options(o =>
        {
            o.GenerationTimeout = TimeSpan.FromMilliseconds(30);
            o.MaxTokens = 400;
        }));
        var response = await client.GetResponseAsync(Ask("Take your time"));

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(true, response.AdditionalProperties?[LLamaSharpChatClient.IncompletePropertyName]);
        Assert.True(response.Usage?.OutputTokenCount < 400);
    }

    [Fact]
    public async Task Generation_deadline_follows_the_injected_TimeProvider()
    {
        // Every read of the injected clock moves it 10 minutes on: a one-hour deadline passes after a few token checks,
        // however fast this machine decodes. With the system clock the same request runs to MaxTokens (hundreds).
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromMinutes(10) };
        using var client = new LLamaSharpChatClient(model.Options(o =>
        {
            o.GenerationTimeout = TimeSpan.FromHours(1);
            o.MaxTokens = 400;
        }), timeProvider: time);

        ChatResponse response = await client.GetResponseAsync(Ask("Take your time"));

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.True(response.Usage?.OutputTokenCount < 100, $"generated {response.Usage?.OutputTokenCount} tokens");
    }

    [Fact]
    public async Task Dispose_during_a_generation_does_not_wait_for_it_and_DisposeAsync_releases_after_the_loop()
    {
        var client = new LLamaSharpChatClient(model.Options(o => o.MaxTokens = 400));
        Task<ChatResponse> inFlight = client.GetResponseAsync(Ask("Take your time"));
        await Task.Delay(50);

        client.Dispose(); // returns; the decode loop stops after its current step and then releases the model
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync(Ask("After dispose")));
        Exception? outcome = await Record.ExceptionAsync(() => inFlight);
        Assert.True(outcome is null or OperationCanceledException or ObjectDisposedException, outcome?.ToString());

        await using var other = new LLamaSharpChatClient(model.Options(o => o.MaxTokens = 4));
        Assert.NotEmpty((await other.GetResponseAsync(Ask("Short"))).Text);
        await other.DisposeAsync();
        await other.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task Cancellation_throws_OperationCanceledException()
    {
        using var client = new LLamaSharpChatClient(model.Options(o => o.MaxTokens = 400));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Ask("Cancel me"), cancellationToken: cts.Token));

        // The client still serves requests afterwards.
        Assert.False(string.IsNullOrEmpty((await client.GetResponseAsync(Ask("Still there?"))).Text));
    }

    [Fact]
    public async Task Gpu_requested_on_a_cpu_backend_logs_one_warning_and_generates_on_cpu()
    {
        var logs = new CollectingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var client = new LLamaSharpChatClient(model.Options(o => o.GpuLayerCount = 99), factory);

        Assert.False(client.GpuOffloadAvailable);
        Assert.Equal(0, client.EffectiveGpuLayerCount);
        await client.GetResponseAsync(Ask("GPU?"));
        await client.GetResponseAsync(Ask("GPU again?"));

        var warnings = logs.Entries.Where(e => e.Level >= LogLevel.Warning && e.Category == typeof(LLamaSharpChatClient).FullName).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("GpuLayerCount is 99", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_only_configuration_logs_nothing()
    {
        var logs = new CollectingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var client = new LLamaSharpChatClient(model.Options(), factory);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning && e.Category == typeof(LLamaSharpChatClient).FullName);
    }

    [Fact]
    public void Missing_model_path_throws_ArgumentException_naming_ModelPath()
    {
        var missing = Path.Combine(model.Directory, "nope.gguf");
        var ex = Assert.Throws<ArgumentException>(() => new LLamaSharpChatClient(model.Options(o => o.ModelPath = missing)));
        Assert.Equal("ModelPath", ex.ParamName);
        Assert.Contains("ModelPath", ex.Message, StringComparison.Ordinal);

        var empty = Assert.Throws<ArgumentException>(() => new LLamaSharpChatClient(model.Options(o => o.ModelPath = "")));
        Assert.Equal("ModelPath", empty.ParamName);
    }

    [Theory]
    [InlineData("ContextSize")]
    [InlineData("MaxTokens")]
    [InlineData("TopP")]
    [InlineData("GenerationTimeout")]
    public void Invalid_options_name_the_option(string name)
    {
        var options = model.Options(o =>
        {
            switch (name)
            {
                case "ContextSize": o.ContextSize = 0; break;
                case "MaxTokens": o.MaxTokens = 0; break;
                case "TopP": o.TopP = 2; break;
                case "GenerationTimeout": o.GenerationTimeout = TimeSpan.Zero; break;
            }
        });
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
    }

    [Fact]
    public void Metadata_names_the_provider_and_a_model_id_that_changes_with_the_file()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal("RagKit.LLamaSharp", metadata.ProviderName);
        Assert.StartsWith("tiny.gguf#", metadata.DefaultModelId, StringComparison.Ordinal);

        var otherPath = TestModels.TinyGgufWriter.Write(Path.Combine(model.Directory, "other", "tiny.gguf"), new TestModels.TinyGgufSpec { Seed = 7 });
        using var other = new LLamaSharpChatClient(model.Options(o => o.ModelPath = otherPath));
        Assert.NotEqual(metadata.DefaultModelId, other.Metadata.DefaultModelId);
    }

    [Fact]
    public async Task Sampling_with_temperature_and_seed_is_reproducible()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        var options = new ChatOptions { Temperature = 0.8f, Seed = 99 };
        var a = await client.GetResponseAsync(Ask("Random?"), options);
        var b = await client.GetResponseAsync(Ask("Random?"), options);
        Assert.Equal(a.Text, b.Text);
    }
}
