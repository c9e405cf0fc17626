using System.Runtime.CompilerServices;
using RagKit.Caching;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>Two pipelines with separate in-process state sharing one real Redis.</summary>
[Collection("redis")]
public sealed class PipelineTests
{
    private const string Question = "How many vacation days do employees get per year?";
    private const string Paraphrase = "How many vacation days does an employee get each year?";
    private static readonly RagScope Acme = new("acme");
    private static readonly AskOptions Ask = new(Acme) { SemanticThreshold = 0.85f };
    private readonly RedisFixture _f;

    public PipelineTests(RedisFixture fixture) => _f = fixture;

    private IRagPipeline Build(IRedisSemanticCache cache, StrongBox<int> generations, TimeSpan delay = default, TimeSpan? tierTimeout = null)
        => new RagPipelineBuilder()
            .UseEmbeddingGenerator(_f.Embedder)
            .UseChatClient(new CountingChatClient(generations, delay))
            .AddRedisSemanticCache(cache)
            // These tests assert which tier answers, not latency: a generous budget keeps a loaded machine from skipping tiers.
            .Configure(o => o.TierTimeout = tierTimeout ?? TimeSpan.FromSeconds(1))
            .Build();

    [RedisFact]
    public async Task Paraphrase_answered_by_one_instance_is_a_semantic_hit_on_the_other_and_the_exact_question_an_exact_hit()
    {
        string prefix = Prefix();
        var generations = new StrongBox<int>();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        // A generous tier budget: this test checks sharing; on a loaded machine a 50 ms lookup budget skips the tier.
        using IRagPipeline a = Build(cacheA, generations, tierTimeout: TimeSpan.FromSeconds(2));
        using IRagPipeline b = Build(cacheB, generations, tierTimeout: TimeSpan.FromSeconds(2));
        await WaitCaughtUpAsync(cacheA, cacheB);
        await a.IngestAsync(Acme, Handbook);
        await b.IngestAsync(Acme, Handbook);
        await SettleAsync(cacheA, cacheB); // each instance applied the other's versions of the (separately stored) handbook

        RagAnswer first = await a.AskAsync(Question, Ask);
        RagAnswer paraphrased = await b.AskAsync(Paraphrase, Ask);
        RagAnswer exact = await b.AskAsync(Question, Ask);

        Assert.Equal(AnswerTier.Generated, first.Tier);
        Assert.Equal(AnswerTier.Semantic, paraphrased.Tier);
        Assert.Equal(first.Text, paraphrased.Text);
        Assert.True(paraphrased.Report.Similarity >= 0.85f);
        Assert.Equal(AnswerTier.Exact, exact.Tier);
        Assert.Equal(first.Text, exact.Text);
        Assert.Equal(1, generations.Value);
    }

    [RedisFact]
    public async Task Document_update_or_delete_on_one_instance_stops_the_answers_on_the_other()
    {
        string prefix = Prefix();
        var generations = new StrongBox<int>();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, generations);
        using IRagPipeline b = Build(cacheB, generations);
        await WaitCaughtUpAsync(cacheA, cacheB);
        await a.IngestAsync(Acme, Handbook);
        await b.IngestAsync(Acme, Handbook);
        await SettleAsync(cacheA, cacheB); // each instance applied the other's versions of the (separately stored) handbook

        // Update: B served A's answer (and promoted it into its own in-process tiers); A changes the document.
        await a.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Semantic, (await b.AskAsync(Paraphrase, Ask)).Tier);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(Paraphrase, Ask)).Tier); // now in B's L1
        IngestResult update = await a.IngestAsync(Acme, [new RagDocument("vacation", "Employees get 30 vacation days per year from 2026 on.")]);
        Assert.True(update.InvalidatedAnswers >= 1);
        var implB = (RedisSemanticCacheImpl)cacheB;
        await SettleAsync(cacheB); // B hears of the invalidation

        RagAnswer afterUpdate = await b.AskAsync(Paraphrase, Ask);
        Assert.Equal(AnswerTier.Generated, afterUpdate.Tier);
        Assert.Equal(AnswerTier.Generated, (await a.AskAsync(Question, Ask)).Tier);

        // The instances' vector stores are separate here; a real deployment shares one. Bring B's store up to date.
        var implA = (RedisSemanticCacheImpl)cacheA;
        await b.IngestAsync(Acme, [new RagDocument("vacation", "Employees get 30 vacation days per year from 2026 on.")]);
        await SettleAsync(cacheA, cacheB); // A hears of B's update

        // Delete: A served an expenses answer from its L1; B deletes the document.
        const string expenses = "When are travel expenses reimbursed?";
        await a.AskAsync(expenses, Ask);
        Assert.Equal(AnswerTier.Exact, (await b.AskAsync(expenses, Ask)).Tier);
        Assert.Equal(AnswerTier.Exact, (await a.AskAsync(expenses, Ask)).Tier);
        long before = implA.RemoteInvalidations;
        await b.DeleteDocumentsAsync(Acme, ["expenses"]);
        await WaitUntilAsync(() => implA.RemoteInvalidations > before, "A hears of the deletion");

        RagAnswer afterDelete = await a.AskAsync(expenses, Ask);
        Assert.NotEqual(AnswerTier.Exact, afterDelete.Tier);
        Assert.NotEqual(AnswerTier.Semantic, afterDelete.Tier);
    }

    [RedisFact]
    public async Task Concurrent_misses_on_two_instances_cause_one_generation()
    {
        string prefix = Prefix();
        var generations = new StrongBox<int>();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, generations, TimeSpan.FromMilliseconds(600));
        using IRagPipeline b = Build(cacheB, generations, TimeSpan.FromMilliseconds(600));
        await WaitCaughtUpAsync(cacheA, cacheB);
        await a.IngestAsync(Acme, Handbook);
        await b.IngestAsync(Acme, Handbook);
        await SettleAsync(cacheA, cacheB); // each instance applied the other's versions of the (separately stored) handbook

        RagAnswer[] answers = await Task.WhenAll(a.AskAsync(Question, Ask).AsTask(), b.AskAsync(Question, Ask).AsTask());

        Assert.Equal(1, generations.Value);
        Assert.Equal(answers[0].Text, answers[1].Text);
        Assert.Single(answers, x => x.Report.JoinedInFlight);
    }

    [RedisFact]
    public async Task Stopping_Redis_mid_run_loses_no_answers_and_the_tier_recovers_after_restart()
    {
        using var server = new RedisServer();
        string prefix = Prefix();
        var generations = new StrongBox<int>();
        RedisSemanticCacheOptions options = Options(server.Endpoint, prefix);
        options.TierTimeout = TimeSpan.FromMilliseconds(500); // a down Redis fails fast anyway; a loaded machine needs the room
        options.FreshnessWindow = TimeSpan.FromSeconds(1);
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(options);
        using IRagPipeline a = Build(cacheA, generations);
        await a.IngestAsync(Acme, Handbook);
        Assert.Equal(AnswerTier.Generated, (await a.AskAsync(Question, Ask)).Tier);

        server.Stop();
        await Task.Delay(options.FreshnessWindow + TimeSpan.FromMilliseconds(100));
        string[] duringOutage = ["When are travel expenses reimbursed?", "Must laptops use disk encryption?", "Who should I contact about the wifi?"];
        foreach (string q in duringOutage)
        {
            RagAnswer answer = await a.AskAsync(q, Ask);
            Assert.False(string.IsNullOrEmpty(answer.Text));
            Assert.True(answer.Tier == AnswerTier.Generated, $"{q}: {answer.Tier} {answer.Report.MatchedQuestion} {answer.Report.Similarity}");
            Assert.NotEmpty(answer.Report.SkippedTiers);
        }

        // The instance cannot confirm it has seen every invalidation: no cached answer, not even in-process, is served.
        RagAnswer uncached = await a.AskAsync(Question, Ask);
        Assert.Equal(AnswerTier.Generated, uncached.Tier);
        Assert.Contains(RagPipeline.UnconfirmedTier, uncached.Report.SkippedTiers);

        server.Start();
        ScopeKey scope = Acme.GetKey(((RagPipeline)a).VersionStamp);
        float[] probe = await EmbedAsync(_f.Embedder, "probe question about the handbook");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await cacheA.FindAsync(new SemanticQuery(scope, "probe", probe, 0.99f), CancellationToken.None);
                await ((RedisSemanticCacheImpl)cacheA).RunAsync(db => db.PingAsync());
                if (cacheA.IsAvailable)
                {
                    break;
                }
            }
            catch (Exception) when (sw.Elapsed < TimeSpan.FromSeconds(20))
            {
            }

            await Task.Delay(100);
        }

        // A new instance with its own store ingests the handbook first: its ingest publishes change marks for the
        // handbook, which would purge an answer generated on A before it.
        using IRedisSemanticCache cacheC = RedisSemanticCache.Create(options);
        // A loaded test machine can take more than the default 50 ms budget on a new instance's first lookups.
        using IRagPipeline c = Build(cacheC, generations, tierTimeout: TimeSpan.FromSeconds(2));
        await c.IngestAsync(Acme, Handbook);
        await SettleAsync(cacheA, cacheC); // A applied C's versions of the (separately stored) handbook

        // The tier works again: an answer generated on A after the restart is a semantic hit on the new instance.
        RagAnswer fresh = await a.AskAsync("How long until the screen locks automatically?", Ask);
        Assert.Equal(AnswerTier.Generated, fresh.Tier);
        Assert.Empty(fresh.Report.SkippedTiers);
        // A new instance loads its mirror on first use; this test is about the restarted tier, not cold-start latency.
        await cacheC.FindAsync(new SemanticQuery(scope, "probe", probe, 0.99f), CancellationToken.None);
        await WaitUntilAsync(() => ((RedisSemanticCacheImpl)cacheC).IsMirrorLoaded(scope.Hash), "the new instance's mirror to load");
        await WaitUntilAsync(() => ((IDocumentInvalidationFeed)cacheC).IsCaughtUp, "the new instance to confirm the change stream");
        RagAnswer shared = await c.AskAsync("How long until the laptop screen locks automatically?", Ask);
        Assert.True(shared.Tier != AnswerTier.Generated, $"{shared.Tier} {string.Join(",", shared.Report.SkippedTiers)} resetsA={((RedisSemanticCacheImpl)cacheA).FeedResets} resetsC={((RedisSemanticCacheImpl)cacheC).FeedResets} mirrorC={((RedisSemanticCacheImpl)cacheC).MirrorCount(scope.Hash)} mirrorA={((RedisSemanticCacheImpl)cacheA).MirrorCount(scope.Hash)}");
        Assert.Equal(fresh.Text, shared.Text);
    }

    [RedisFact]
    public async Task Answers_never_cross_tenants_across_instances()
    {
        string prefix = Prefix();
        var generations = new StrongBox<int>();
        using IRedisSemanticCache cacheA = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRedisSemanticCache cacheB = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, prefix));
        using IRagPipeline a = Build(cacheA, generations);
        using IRagPipeline b = Build(cacheB, generations);
        await WaitCaughtUpAsync(cacheA, cacheB);
        var globex = new RagScope("globex");
        RagDocument[] globexDocs = [new("vacation", "Globex staff get 12 vacation days per year.")];
        await a.IngestAsync(Acme, Handbook);
        await b.IngestAsync(Acme, Handbook);
        await SettleAsync(cacheA, cacheB); // each instance applied the other's versions of the (separately stored) handbook
        await a.IngestAsync(globex, globexDocs);
        await b.IngestAsync(globex, globexDocs);

        RagAnswer acme = await a.AskAsync(Question, Ask);
        RagAnswer other = await b.AskAsync(Question, new AskOptions(globex) { SemanticThreshold = 0.85f });

        Assert.Equal(AnswerTier.Generated, other.Tier);
        Assert.NotEqual(acme.Text, other.Text);
        Assert.Equal(2, generations.Value);

        // And directly at the tier: the same embedding finds the acme entry only in the acme scope.
        string stamp = ((RagPipeline)a).VersionStamp;
        float[] v = await EmbedAsync(_f.Embedder, Question);
        SemanticCacheHit? inAcme = await cacheB.FindAsync(new SemanticQuery(Acme.GetKey(stamp), "q", v, 0.85f), CancellationToken.None);
        Assert.NotNull(inAcme);
        Assert.Equal(acme.Text, inAcme.Answer.Text);
        var tenantOnly = new RagScope("initech");
        Assert.Null(await cacheB.FindAsync(new SemanticQuery(tenantOnly.GetKey(stamp), "q", v, 0.5f), CancellationToken.None));
    }
}
