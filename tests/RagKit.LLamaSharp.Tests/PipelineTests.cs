using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using RagKit.Caching;
using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit.LLamaSharp.Tests;

/// <summary>The full pipeline (real MiniLM embeddings, embedded store, cache tiers) generating through LLamaSharp.</summary>
public sealed class PipelineTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private static readonly RagScope Scope = new("acme", "help");

    private async Task<IRagPipeline> BuildAsync(IChatClient chat, Action<RagPipelineBuilder>? configure = null)
    {
        var builder = new RagPipelineBuilder().UseEmbeddingGenerator(fixture.Embedder).UseChatClient(chat);
        configure?.Invoke(builder);
        var pipeline = builder.Build();
        await pipeline.IngestAsync(Scope, PipelineFixture.Documents);
        return pipeline;
    }

    [Fact]
    public async Task A_miss_generates_through_LLamaSharp_and_the_repeat_is_served_by_the_exact_tier()
    {
        var counting = new CountingChatClient(fixture.EndsAnswers);
        using var pipeline = await BuildAsync(counting);
        var question = PipelineFixture.Questions[0];

        var first = await pipeline.AskAsync(question, new AskOptions(Scope));
        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.False(first.IsExtractive);
        Assert.True(first.IsComplete);
        Assert.False(string.IsNullOrEmpty(first.Text));
        Assert.True(first.Report.Generation > TimeSpan.Zero);

        // What the pipeline returned is what llama.cpp generated for the rendered prompt.
        Assert.Contains(counting.LastMessages!, m => m.Role == ChatRole.System && m.Text == PromptTemplate.Default.SystemPrompt);
        var direct = await fixture.EndsAnswers.GetResponseAsync(counting.LastMessages!);
        Assert.Equal(direct.Text, first.Text);
        Assert.Equal(ChatFinishReason.Stop, direct.FinishReason);

        var second = await pipeline.AskAsync(question, new AskOptions(Scope));
        Assert.Equal(AnswerTier.Exact, second.Tier);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(1, counting.Calls);
    }

    [Fact]
    public async Task A_paraphrase_is_served_by_the_semantic_tier_without_generating()
    {
        var counting = new CountingChatClient(fixture.EndsAnswers);
        using var pipeline = await BuildAsync(counting);

        var first = await pipeline.AskAsync("How do I reset my card PIN?", new AskOptions(Scope));
        var paraphrase = await pipeline.AskAsync("How can I reset the PIN of my card?", new AskOptions(Scope) { SemanticThreshold = 0.85f });

        Assert.Equal(AnswerTier.Semantic, paraphrase.Tier);
        Assert.Equal(first.Text, paraphrase.Text);
        Assert.Equal(QuestionNormalizer.Normalize("How do I reset my card PIN?"), paraphrase.Report.MatchedQuestion);

        // The report of a semantic hit covers the whole ask (it was reported as zero before).
        Assert.True(paraphrase.Report.Total >= paraphrase.Report.Embedding + paraphrase.Report.SemanticLookup);
        Assert.True(paraphrase.Report.Total > TimeSpan.Zero);
        Assert.Equal(1, counting.Calls);
    }

    [Fact]
    public async Task A_citation_marker_in_the_generated_text_maps_to_the_chunk_and_document_of_that_numbered_source()
    {
        // Random weights never write "[2]", so this wrapper appends it to the model's real output.
        var citing = new AppendingChatClient(fixture.EndsAnswers, " [2]");
        var store = EmbeddedVectorStore.InMemory();
        using var pipeline = await BuildAsync(citing, b => b.UseVectorStore(store).Configure(o => o.MinRetrievalScore = 0f));
        var question = PipelineFixture.Questions[1];

        var answer = await pipeline.AskAsync(question, new AskOptions(Scope));

        // The sources the pipeline numbered, retrieved independently from the same store.
        var vector = (await fixture.Embedder.GenerateAsync([question]))[0].Vector;
        var sources = await store.SearchAsync(vector, new VectorQuery(Scope, 4, 0f), CancellationToken.None);
        Assert.True(sources.Count >= 2);
        Assert.EndsWith(" [2]", answer.Text, StringComparison.Ordinal);
        var citation = Assert.Single(answer.Citations);
        Assert.Equal(2, citation.Number);
        Assert.Equal(sources[1].ChunkId, citation.ChunkId);
        Assert.Equal(sources[1].Document.DocumentId, citation.DocumentId);
        Assert.NotEqual(sources[0].ChunkId, citation.ChunkId);

        var cached = await pipeline.AskAsync(question, new AskOptions(Scope));
        Assert.Equal(AnswerTier.Exact, cached.Tier);
        Assert.Equal(citation, Assert.Single(cached.Citations));
    }

    [Theory]
    [InlineData("custom template version")]
    [InlineData("RagKitOptions.PromptTemplateVersion")]
    public async Task An_answer_cached_under_one_prompt_template_version_is_not_served_under_another(string change)
    {
        // Two pipelines share one semantic tier (as two servers share a Redis tier): the only difference is the template version.
        var shared = new SharedSemanticTier();
        var counting = new CountingChatClient(fixture.EndsAnswers);
        using var a = await BuildAsync(counting, b => b.AddSemanticCache(shared));
        using var sameVersion = await BuildAsync(counting, b => b.AddSemanticCache(shared));
        using var otherVersion = await BuildAsync(counting, b =>
        {
            b.AddSemanticCache(shared);
            if (change == "custom template version")
            {
                b.UsePromptTemplate(new RenamedTemplate("numbered-sources-2"));
            }
            else
            {
                b.Configure(o => o.PromptTemplateVersion = "default-2");
            }
        });
        var question = PipelineFixture.Questions[2];

        var generated = await a.AskAsync(question, new AskOptions(Scope));
        Assert.Equal(AnswerTier.Generated, generated.Tier);
        Assert.True(generated.IsComplete);

        // Control: another pipeline with the same template version is served from the shared tier.
        var control = await sameVersion.AskAsync(question, new AskOptions(Scope));
        Assert.Equal(AnswerTier.Semantic, control.Tier);
        Assert.Equal(1, counting.Calls);

        var other = await otherVersion.AskAsync(question, new AskOptions(Scope));
        Assert.Equal(AnswerTier.Generated, other.Tier);
        Assert.Equal(2, counting.Calls);
        Assert.Equal(2, shared.ScopeIds.Count);
    }

    [Fact]
    public async Task An_answer_cut_off_by_the_token_limit_is_marked_incomplete_and_not_cached()
    {
        var counting = new CountingChatClient(fixture.RunsToLimit);
        using var pipeline = await BuildAsync(counting);
        var question = PipelineFixture.Questions[3];

        var first = await pipeline.AskAsync(question, new AskOptions(Scope));
        var second = await pipeline.AskAsync(question, new AskOptions(Scope));

        Assert.False(first.IsComplete);
        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.Equal(AnswerTier.Generated, second.Tier);
        Assert.False(second.IsComplete);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(2, counting.Calls);
    }

    [Fact]
    public async Task An_answer_cut_off_by_the_generation_timeout_is_not_cached()
    {
        using var slow = new LLamaSharpChatClient(PipelineFixture.Options(fixture.RunsToLimitPath, o =>
        {
            o.MaxTokens = 100_000;
            o.ContextSize = 4096;
            o.GenerationTimeout = TimeSpan.FromMilliseconds(300);
        }));
        var counting = new CountingChatClient(slow);
        using var pipeline = await BuildAsync(counting);

        var first = await pipeline.AskAsync(PipelineFixture.Questions[0], new AskOptions(Scope));
        var second = await pipeline.AskAsync(PipelineFixture.Questions[0], new AskOptions(Scope));

        Assert.False(first.IsComplete);
        Assert.Equal(AnswerTier.Generated, second.Tier);
        Assert.Equal(2, counting.Calls);
    }

    [Fact]
    public async Task Streaming_a_miss_yields_the_generator_deltas_then_the_final_answer()
    {
        using var pipeline = await BuildAsync(fixture.RunsToLimit);

        var text = new StringBuilder();
        int deltas = 0;
        RagAnswer? final = null;
        await foreach (var update in pipeline.AskStreamingAsync(PipelineFixture.Questions[1], new AskOptions(Scope)))
        {
            if (update.IsFinal)
            {
                final = update.Answer;
                continue;
            }

            deltas++;
            text.Append(update.Text);
        }

        Assert.NotNull(final);
        Assert.True(deltas > 1);
        Assert.Equal(AnswerTier.Generated, final.Tier);
        Assert.False(final.IsComplete);
        Assert.Equal(final.Text, text.ToString());

        // The same generation without streaming gives the same text (greedy decoding).
        var nonStreaming = await pipeline.AskAsync(PipelineFixture.Questions[1], new AskOptions(Scope));
        Assert.Equal(final.Text, nonStreaming.Text);
    }

    [Fact]
    public async Task A_streamed_complete_answer_is_cached_and_replays_as_a_stream()
    {
        var counting = new CountingChatClient(fixture.EndsAnswers);
        using var pipeline = await BuildAsync(counting);
        var question = PipelineFixture.Questions[2];

        var (firstText, first) = await StreamAsync(pipeline, question);
        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.True(first.IsComplete);
        Assert.Equal(first.Text, firstText);
        Assert.Equal(1, counting.StreamingCalls);

        var (replayText, replay) = await StreamAsync(pipeline, question);
        Assert.Equal(AnswerTier.Exact, replay.Tier);
        Assert.Equal(first.Text, replayText);
        Assert.Equal(first.Text, replay.Text);
        Assert.Equal(1, counting.StreamingCalls);
        Assert.Equal(0, counting.Calls);
    }

    [Fact]
    public async Task Gpu_requested_without_a_gpu_backend_logs_one_warning_for_the_whole_pipeline()
    {
        var logs = new CollectingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var client = new LLamaSharpChatClient(PipelineFixture.Options(fixture.EndsAnswersPath, o => o.GpuLayerCount = 99), factory);
        using var pipeline = await BuildAsync(client, b => b.UseLoggerFactory(factory));

        var a = await pipeline.AskAsync(PipelineFixture.Questions[0], new AskOptions(Scope));
        var b = await pipeline.AskAsync(PipelineFixture.Questions[1], new AskOptions(Scope));

        Assert.Equal(AnswerTier.Generated, a.Tier);
        Assert.Equal(AnswerTier.Generated, b.Tier);
        Assert.Equal(0, client.EffectiveGpuLayerCount);
        var warning = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains("GpuLayerCount is 99", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromModelPath_builds_a_generator_the_pipeline_answers_with()
    {
        using var client = LLamaSharpChatClient.FromModelPath(fixture.EndsAnswersPath, o =>
        {
            o.ContextSize = 1024;
            o.Threads = 2;
        });
        using var pipeline = await BuildAsync(client);

        var answer = await pipeline.AskAsync(PipelineFixture.Questions[0], new AskOptions(Scope));

        Assert.Equal(AnswerTier.Generated, answer.Tier);
        Assert.False(answer.IsExtractive);
        Assert.True(answer.IsComplete);
        var missing = Assert.Throws<ArgumentException>(() => LLamaSharpChatClient.FromModelPath(Path.Combine(fixture.Directory, "missing.gguf")));
        Assert.Equal("ModelPath", missing.ParamName);
    }

    private static async Task<(string Streamed, RagAnswer Final)> StreamAsync(IRagPipeline pipeline, string question)
    {
        var text = new StringBuilder();
        RagAnswer? final = null;
        await foreach (var update in pipeline.AskStreamingAsync(question, new AskOptions(Scope)))
        {
            if (update.IsFinal)
            {
                final = update.Answer;
            }
            else
            {
                text.Append(update.Text);
            }
        }

        Assert.NotNull(final);
        return (text.ToString(), final);
    }

    /// <summary>Counts generator calls and remembers the last rendered prompt.</summary>
    private sealed class CountingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        private int _calls;
        private int _streamingCalls;

        public int Calls => Volatile.Read(ref _calls);

        public int StreamingCalls => Volatile.Read(ref _streamingCalls);

        public IReadOnlyList<ChatMessage>? LastMessages { get; private set; }

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            LastMessages = messages.ToArray();
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _streamingCalls);
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }
    }

    /// <summary>Appends a fixed suffix to the generated text (the model's own output is kept).</summary>
    private sealed class AppendingChatClient(IChatClient inner, string suffix) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, response.Text + suffix))
            {
                FinishReason = response.FinishReason,
                AdditionalProperties = response.AdditionalProperties,
                ModelId = response.ModelId,
                Usage = response.Usage,
            };
        }
    }

    /// <summary>The default template under another version name.</summary>
    private sealed class RenamedTemplate(string version) : PromptTemplate
    {
        public override string Version => version;

        public override string SystemPrompt => Default.SystemPrompt;

        public override IList<ChatMessage> Render(string question, IReadOnlyList<ChunkMatch> sources) => Default.Render(question, sources);
    }

    /// <summary>
    /// A shared semantic tier kept in memory, keyed by scope like a real shared tier (Redis) is: exact cosine over the
    /// answers stored for the asked scope.
    /// </summary>
    private sealed class SharedSemanticTier : ISemanticAnswerCache
    {
        private readonly ConcurrentDictionary<string, ConcurrentBag<(float[] Vector, CachedAnswer Answer)>> _byScope = new();

        public string Name => "shared-test";

        public IReadOnlyCollection<string> ScopeIds => _byScope.Keys.ToArray();

        public ValueTask<SemanticCacheHit?> FindAsync(SemanticQuery query, CancellationToken cancellationToken = default)
        {
            SemanticCacheHit? best = null;
            if (_byScope.TryGetValue(query.Scope.Id, out var entries))
            {
                foreach (var (vector, answer) in entries)
                {
                    float similarity = TensorPrimitives.CosineSimilarity(vector, query.Embedding.Span);
                    if (similarity >= query.Threshold && (best is null || similarity > best.Similarity))
                    {
                        best = new SemanticCacheHit(answer, similarity);
                    }
                }
            }

            return ValueTask.FromResult(best);
        }

        public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> embedding, CachedAnswer answer, CancellationToken cancellationToken = default)
        {
            _byScope.GetOrAdd(scope.Id, _ => []).Add((embedding.ToArray(), answer));
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

        public ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);
    }
}
