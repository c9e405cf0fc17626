using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using RagKit.Caching;
using RagKit.Ingestion;
using RagKit.Onnx;
using RagKit.Prewarming;

namespace RagKit.Tests.Prewarming;

public sealed class PrewarmingTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private static readonly RagScope Scope = new("acme", "help");
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private const string Hot = "How long do refunds take?";
    private const string Cold = "How do I reset my password?";

    private async Task<RagPipeline> PipelineAsync(TimeProvider time, IChatClient? chat = null)
    {
        var pipeline = (RagPipeline)new RagPipelineBuilder()
            .UseEmbeddingGenerator(fixture.Embedder)
            .UseChatClient(chat)
            .UseTimeProvider(time)
            .Configure(o => o.Ttl = Ttl)
            .Build();
        await pipeline.IngestAsync(Scope,
        [
            new RagDocument("refunds", "Refunds are paid back to the original card within five business days of receiving the returned item."),
            new RagDocument("passwords", "To reset your password, open Settings, choose Security and press Reset password. A link arrives by email."),
            new RagDocument("shipping", "Shipping costs five euros within the EU. Orders above fifty euros ship for free."),
            new RagDocument("warranty", "Every device carries a two year warranty against manufacturing defects."),
        ]);
        return pipeline;
    }

    private static AskOptions Options => new(Scope);

    private static CachedAnswer Entry(RagPipeline p, string question) =>
        p.ExactTier.Snapshot().Single(e => e.Question == QuestionNormalizer.Normalize(question));

    [Fact]
    public async Task Refresh_ahead_keeps_a_hot_entry_served_from_the_exact_tier_across_several_TTL_boundaries()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using RagPipeline pipeline = await PipelineAsync(time);
        Assert.Equal(AnswerTier.Generated, (await pipeline.AskAsync(Hot, Options)).Report.Tier);

        var refreshed = new SignalProgress();
        using var cts = new CancellationTokenSource();
        IPrewarmingPolicy policy = PrewarmingPolicies.RefreshAhead(new RefreshAheadOptions { MinHits = 3, RefreshWithin = 0.2, CheckInterval = TimeSpan.FromSeconds(30) }, time);
        Task loop = policy.RunInBackground(pipeline, refreshed, cts.Token);

        int generatedBefore = 0;
        for (int period = 0; period < 3; period++)
        {
            CachedAnswer current = Entry(pipeline, Hot);
            DateTimeOffset expiry = current.ExpiresAt;

            // Until the refresh window opens: 30 s steps, every ask a hit.
            while (time.GetUtcNow() < expiry - TimeSpan.FromMinutes(2))
            {
                time.Advance(TimeSpan.FromSeconds(30));
                Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Hot, Options)).Report.Tier);
            }

            // Inside the window: small steps until the background refresh lands (well before expiry).
            while (!await refreshed.WaitAsync(TimeSpan.FromMilliseconds(50)))
            {
                Assert.True(time.GetUtcNow() < expiry - TimeSpan.FromSeconds(5), $"no refresh before expiry in period {period}");
                time.Advance(TimeSpan.FromSeconds(1));
                Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Hot, Options)).Report.Tier);
            }

            Assert.Equal(0, refreshed.Last.Failed);
            CachedAnswer renewed = Entry(pipeline, Hot);
            Assert.True(renewed.ExpiresAt > expiry, "the refreshed entry lives past the old expiry");
            Assert.True(refreshed.Last.Completed > generatedBefore);
            generatedBefore = refreshed.Last.Completed;

            // Cross the old TTL boundary: still an exact hit.
            time.Advance(expiry - time.GetUtcNow() + TimeSpan.FromSeconds(1));
            Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Hot, Options)).Report.Tier);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task Refresh_ahead_runs_on_a_users_decorator_through_the_public_seam()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using RagPipeline pipeline = await PipelineAsync(time);
        using var decorated = new LoggingDecorator(pipeline);
        Assert.Equal(AnswerTier.Generated, (await decorated.AskAsync(Hot, Options)).Report.Tier);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(AnswerTier.Exact, (await decorated.AskAsync(Hot, Options)).Report.Tier);
        }

        // Near the end of the TTL the hot answer is a candidate, and refreshing it through the seam renews it.
        time.Advance(Ttl - TimeSpan.FromMinutes(1));
        IRefreshAheadSource source = decorated;
        RefreshCandidate candidate = Assert.Single(source.GetRefreshCandidates(minHits: 3, withinFraction: 0.2));
        DateTimeOffset oldExpiry = candidate.ExpiresAt;
        Assert.Equal(Scope, candidate.Scope);
        Assert.Equal(QuestionNormalizer.Normalize(Hot), candidate.Question);

        var progress = new SignalProgress();
        using var cts = new CancellationTokenSource();
        Task loop = PrewarmingPolicies.RefreshAhead(new RefreshAheadOptions { MinHits = 3, RefreshWithin = 0.2, CheckInterval = TimeSpan.FromSeconds(30) }, time)
            .RunInBackground(decorated, progress, cts.Token);
        Assert.True(await progress.WaitAsync(Patience), "the policy refreshed through the decorator");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal(0, progress.Last.Failed);
        Assert.True(Entry(pipeline, Hot).ExpiresAt > oldExpiry);
        Assert.Empty(source.GetRefreshCandidates(minHits: 3, withinFraction: 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.GetRefreshCandidates(minHits: 3, withinFraction: 1.5));
    }

    /// <summary>What an app writes around a pipeline: forwards every call, refresh-ahead included.</summary>
    private sealed class LoggingDecorator(RagPipeline inner) : IRagPipeline, IRefreshAheadSource
    {
        public ValueTask<RagAnswer> AskAsync(string question, AskOptions options, CancellationToken cancellationToken = default) => inner.AskAsync(question, options, cancellationToken);

        public IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(string question, AskOptions options, CancellationToken cancellationToken = default) => inner.AskStreamingAsync(question, options, cancellationToken);

        public Task<IngestResult> IngestAsync(RagScope scope, IEnumerable<RagDocument> documents, IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default) => inner.IngestAsync(scope, documents, progress, cancellationToken);

        public Task<int> DeleteDocumentsAsync(RagScope scope, IEnumerable<string> documentIds, CancellationToken cancellationToken = default) => inner.DeleteDocumentsAsync(scope, documentIds, cancellationToken);

        public Task<int> ReportWrongAnswerAsync(string question, AskOptions options, CancellationToken cancellationToken = default) => inner.ReportWrongAnswerAsync(question, options, cancellationToken);

        public IReadOnlyList<RefreshCandidate> GetRefreshCandidates(int minHits, double withinFraction) => inner.GetRefreshCandidates(minHits, withinFraction);

        public Task<bool> RefreshAsync(RefreshCandidate candidate, CancellationToken cancellationToken = default) => inner.RefreshAsync(candidate, cancellationToken);

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Refresh_ahead_lets_a_cold_entry_expire()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using RagPipeline pipeline = await PipelineAsync(time);
        Assert.Equal(AnswerTier.Generated, (await pipeline.AskAsync(Cold, Options)).Report.Tier);
        Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Cold, Options)).Report.Tier); // one hit: below MinHits

        var progress = new SignalProgress();
        using var cts = new CancellationTokenSource();
        Task loop = PrewarmingPolicies.RefreshAhead(new RefreshAheadOptions { MinHits = 3, CheckInterval = TimeSpan.FromSeconds(30) }, time)
            .RunInBackground(pipeline, progress, cts.Token);

        for (int i = 0; i < 21; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(10);
        }

        Assert.Equal(0, progress.Count);
        RagAnswer after = await pipeline.AskAsync(Cold, Options);
        Assert.Equal(AnswerTier.Generated, after.Report.Tier);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task Query_log_prewarming_asks_the_most_frequent_normalized_questions_at_the_rate_limit()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using RagPipeline pipeline = await PipelineAsync(time);
        string[] log =
        [
            "How long do refunds take?", "how long do refunds take", "HOW  LONG DO REFUNDS TAKE?",
            "How do I reset my password?", "how do i reset my password",
            "What are the shipping costs?",
        ];
        var progress = new SignalProgress();
        Task run = PrewarmingPolicies.FromQueryLog(log, Options, new QueryLogPrewarmingOptions { TopN = 2, QuestionsPerSecond = 1 }, time)
            .RunInBackground(pipeline, progress);

        Assert.True(await progress.WaitAsync(Patience));
        Assert.Equal(1, progress.Last.Completed);
        Assert.Equal(QuestionNormalizer.Normalize(Hot), QuestionNormalizer.Normalize(progress.Last.Question!));
        await Task.Delay(200);
        Assert.Equal(1, pipeline.ExactTier.Count); // the limiter holds the second question until a second has passed

        time.Advance(TimeSpan.FromSeconds(1));
        await run.WaitAsync(Patience);
        Assert.Equal(new PrewarmProgress(2, 0, 2, progress.Last.Question), progress.Last);

        Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync("how long do REFUNDS take", Options)).Report.Tier);
        Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Cold, Options)).Report.Tier);
        Assert.NotEqual(AnswerTier.Exact, (await pipeline.AskAsync("What are the shipping costs?", Options)).Report.Tier);
    }

    [Fact]
    public async Task Query_log_prewarming_stops_on_cancellation()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using RagPipeline pipeline = await PipelineAsync(time);
        var progress = new SignalProgress();
        using var cts = new CancellationTokenSource();
        Task run = PrewarmingPolicies.FromQueryLog([Hot, Cold, "What are the shipping costs?", "What is the warranty?"], Options,
            new QueryLogPrewarmingOptions { QuestionsPerSecond = 1 }, time).RunInBackground(pipeline, progress, cts.Token);

        Assert.True(await progress.WaitAsync(Patience));
        await cts.CancelAsync();
        time.Advance(TimeSpan.FromSeconds(10));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Patience));
        Assert.Equal(1, progress.Count);
        Assert.Equal(1, pipeline.ExactTier.Count);
    }

    [Fact]
    public async Task A_failed_prewarm_question_does_not_stop_the_rest()
    {
        using RagPipeline pipeline = await PipelineAsync(TimeProvider.System, new FailingOnChatClient("password"));
        var progress = new SignalProgress();
        await PrewarmingPolicies.FromQueryLog([Hot, Hot, Hot, Cold, Cold, "What are the shipping costs?"], Options,
            new QueryLogPrewarmingOptions { QuestionsPerSecond = 1000 }).RunAsync(pipeline, progress);

        Assert.Equal(3, progress.Count);
        Assert.Equal((2, 1), (progress.Last.Completed, progress.Last.Failed));
        Assert.Single(progress.All, p => p.Error is InvalidOperationException && p.Question == Cold);
        Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync(Hot, Options)).Report.Tier);
        Assert.Equal(AnswerTier.Exact, (await pipeline.AskAsync("What are the shipping costs?", Options)).Report.Tier);
    }

    [Fact]
    public async Task Faq_prewarming_serves_curated_answers_from_the_exact_and_semantic_tiers_until_a_source_changes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using RagPipeline pipeline = await PipelineAsync(time);
        var progress = new SignalProgress();
        await PrewarmingPolicies.FromFaq(
        [
            new FaqEntry("What is the warranty period?", "Two years from purchase (curated).", ["warranty"]),
            new FaqEntry("Do you ship to Mars?", "No.", ["no-such-document"]),
            new FaqEntry("Can I pay by invoice?", "Yes, for business customers (curated)."),
        ], Scope).RunAsync(pipeline, progress);

        Assert.Equal((2, 1), (progress.Last.Completed, progress.Last.Failed));
        Assert.IsType<ArgumentException>(progress.All.Single(p => p.Failed == 1 && p.Error is not null).Error);

        RagAnswer exact = await pipeline.AskAsync("what is the warranty period", Options);
        Assert.Equal(AnswerTier.Exact, exact.Report.Tier);
        Assert.Equal("Two years from purchase (curated).", exact.Text);
        Assert.True(CuratedAnswers.IsCurated(Entry(pipeline, "What is the warranty period?")));

        RagAnswer paraphrase = await pipeline.AskAsync("Can I pay with an invoice?", new AskOptions(Scope) { SemanticThreshold = 0.8f });
        Assert.Equal(AnswerTier.Semantic, paraphrase.Report.Tier);
        Assert.Equal("Yes, for business customers (curated).", paraphrase.Text);

        // The curated answer names the warranty document: changing it invalidates the answer in every tier.
        await pipeline.IngestAsync(Scope, [new RagDocument("warranty", "Devices now carry a three year warranty.")]);
        RagAnswer after = await pipeline.AskAsync("What is the warranty period?", Options);
        Assert.Equal(AnswerTier.Generated, after.Report.Tier);
        Assert.DoesNotContain("curated", after.Text, StringComparison.Ordinal);
    }

    /// <summary>Records every report synchronously and lets a test wait for the next one.</summary>
    private sealed class SignalProgress : IProgress<PrewarmProgress>
    {
        private readonly SemaphoreSlim _signal = new(0);
        private readonly List<PrewarmProgress> _all = [];

        public IReadOnlyList<PrewarmProgress> All
        {
            get
            {
                lock (_all)
                {
                    return [.. _all];
                }
            }
        }

        public int Count => All.Count;

        public PrewarmProgress Last => All[^1];

        public void Report(PrewarmProgress value)
        {
            lock (_all)
            {
                _all.Add(value);
            }

            _signal.Release();
        }

        public Task<bool> WaitAsync(TimeSpan timeout) => _signal.WaitAsync(timeout);
    }

    /// <summary>A generator that answers by citing the first source, and fails for prompts mentioning a word.</summary>
    private sealed class FailingOnChatClient(string word) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            string last = messages.Last().Text;
            if (last.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("generator failed");
            }

            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "See the policy [1].")) { FinishReason = ChatFinishReason.Stop });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            ChatResponse r = await GetResponseAsync(messages, options, cancellationToken);
            foreach (ChatResponseUpdate u in r.ToChatResponseUpdates())
            {
                yield return u;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
