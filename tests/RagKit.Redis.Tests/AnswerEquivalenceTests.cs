using RagKit.Caching;
using StackExchange.Redis;
using static RagKit.Redis.Tests.TestSupport;

namespace RagKit.Redis.Tests;

/// <summary>
/// Answer equivalence on the Redis tier (entry format 2): a differently worded answer stored with its embedding is linked
/// on insert to the nearby answer it is equivalent to, as the in-process tier links it, so it gives the same support and
/// margin. Constructed embeddings; the decisions are compared with the in-process tier's on the same stores.
/// </summary>
[Collection("redis")]
public sealed class AnswerEquivalenceTests
{
    private const int Dims = 384;
    private static readonly DocumentKey Doc = new("acme", "default", "refunds");
    private readonly RedisFixture _f;

    public AnswerEquivalenceTests(RedisFixture fixture) => _f = fixture;

    /// <summary>Unit vector with cosine <paramref name="similarity"/> to axis 0, the rest on axis <paramref name="side"/>.</summary>
    private static float[] Near(float similarity, int side)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[side] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    /// <summary>An answer embedding: cosine <paramref name="similarity"/> to axis 100, the rest on axis <paramref name="side"/>.</summary>
    private static float[] AnswerVector(float similarity, int side)
    {
        var v = new float[Dims];
        v[100] = similarity;
        v[side] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static CachedAnswer Answer(ScopeKey scope, string question, string text, float[]? answerVector)
    {
        CachedAnswer a = TestSupport.Answer(scope, question, text, Doc);
        return new CachedAnswer
        {
            Question = a.Question,
            ScopeId = a.ScopeId,
            Text = a.Text,
            Citations = a.Citations,
            Provenance = a.Provenance,
            GenerationCost = a.GenerationCost,
            CreatedAt = a.CreatedAt,
            ExpiresAt = a.ExpiresAt,
            AnswerEmbedding = answerVector,
        };
    }

    private static SemanticQuery Query(ScopeKey scope, ISemanticMatchRule? rule) =>
        new(scope, "the question", Near(1f, 1), 0.90f) { Rule = rule };

    private static readonly ISemanticMatchRule DefaultRule = new RagKitOptions().SemanticMatchRule;

    /// <summary>Stores the same entries in the Redis tier and in the in-process tier; returns both tiers' answers to the query.</summary>
    private async Task<(string? Redis, string? InProcess)> BothAsync(ISemanticMatchRule rule, params (float[] Question, string QuestionText, string Text, float[]? AnswerVector)[] entries)
    {
        using IRedisSemanticCache redis = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, Prefix()));
        using var inProcess = new InProcessSemanticCache(1000, EvictionPolicyFactory.Lru, TimeProvider.System, rule);
        ScopeKey scope = Scope("acme");

        // The pipeline asks before it stores: the lookup names the rule whose answer similarity links answers on insert.
        Assert.Null(await redis.FindAsync(Query(scope, rule), CancellationToken.None));
        foreach ((float[] q, string question, string text, float[]? a) in entries)
        {
            await redis.StoreAsync(scope, q, Answer(scope, question, text, a), CancellationToken.None);
            await inProcess.StoreAsync(scope, q, Answer(scope, question, text, a), CancellationToken.None);
        }

        SemanticCacheHit? r = await redis.FindAsync(Query(scope, rule), CancellationToken.None);
        SemanticCacheHit? p = await inProcess.FindAsync(Query(scope, rule), CancellationToken.None);
        return (r?.Answer.Text, p?.Answer.Text);
    }

    [RedisFact]
    public async Task A_differently_worded_equivalent_answer_supports_a_hit_below_the_threshold_as_in_process()
    {
        const string First = "Your refund is on its way and should reach your account within five business days.";
        const string Second = "Expect the money back on your card within five business days of the refund.";

        // Answers as text only (no embeddings, as before): two different answers, the 0.84 candidate has no support.
        (string? redis, string? inProcess) = await BothAsync(DefaultRule,
            (Near(0.84f, 2), "question a one", First, null),
            (Near(0.80f, 3), "question a two", Second, null));
        Assert.Null(redis);
        Assert.Null(inProcess);

        // With answer embeddings 0.90 apart the second answer is linked to the first: support, a hit on both tiers.
        (redis, inProcess) = await BothAsync(DefaultRule,
            (Near(0.84f, 2), "question a one", First, AnswerVector(1f, 101)),
            (Near(0.80f, 3), "question a two", Second, AnswerVector(0.90f, 102)));
        Assert.Equal(First, redis);
        Assert.Equal(inProcess, redis);
    }

    /// <summary>Cosine <paramref name="similarity"/> to axis 0, <paramref name="along"/> on axis 5, the rest on <paramref name="side"/>.</summary>
    private static float[] InRegion(float similarity, float along, int side)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[5] = along;
        v[side] = MathF.Sqrt(1 - (similarity * similarity) - (along * along));
        return v;
    }

    [RedisFact]
    public async Task A_question_past_the_edge_of_a_tight_region_is_not_served_as_in_process()
    {
        // Three questions with one answer, close together along axis 5; the question meets the region's edge at 0.86 from
        // off its direction (an outlier gap of 0.18): no hit on either tier, and a hit on both with the check off.
        (float[], string, string, float[]?)[] region =
        [
            (InRegion(0.86f, 0.51f, 6), "question a one", "answer a", null),
            (InRegion(0.80f, 0.58f, 7), "question a two", "answer a", null),
            (InRegion(0.79f, 0.59f, 8), "question a three", "answer a", null),
        ];
        (string? redis, string? inProcess) = await BothAsync(DefaultRule, region);
        Assert.Null(redis);
        Assert.Null(inProcess);

        (redis, inProcess) = await BothAsync(SemanticMatchRules.Neighbourhood(maxOutlierGap: float.PositiveInfinity), region);
        Assert.Equal("answer a", redis);
        Assert.Equal(inProcess, redis);
    }

    [RedisFact]
    public async Task A_differently_worded_equivalent_answer_no_longer_blocks_the_margin_as_in_process()
    {
        const string First = "Your refund is on its way and should reach your account within five business days.";
        const string Second = "Expect the money back on your card within five business days of the refund.";

        // A second question at 0.88 with a differently worded answer: by text a different answer 0.07 below the candidate.
        (string? redis, string? inProcess) = await BothAsync(DefaultRule,
            (Near(0.95f, 2), "question a one", First, null),
            (Near(0.88f, 3), "question a two", Second, null));
        Assert.Null(redis);
        Assert.Null(inProcess);

        (redis, inProcess) = await BothAsync(DefaultRule,
            (Near(0.95f, 2), "question a one", First, AnswerVector(1f, 101)),
            (Near(0.88f, 3), "question a two", Second, AnswerVector(0.90f, 102)));
        Assert.Equal(First, redis);
        Assert.Equal(inProcess, redis);
    }

    [RedisFact]
    public async Task Answers_with_a_different_order_number_or_amount_are_never_linked()
    {
        // Identical answer embeddings, different values: two answers, so the nearby one blocks the margin on both tiers.
        (string? redis, string? inProcess) = await BothAsync(DefaultRule,
            (Near(0.95f, 2), "where is order 1234", "Order 1234 ships on Monday.", AnswerVector(1f, 101)),
            (Near(0.88f, 3), "where is order 5678", "Order 5678 ships on Monday.", AnswerVector(1f, 101)));
        Assert.Null(redis);
        Assert.Null(inProcess);

        (redis, inProcess) = await BothAsync(DefaultRule,
            (Near(0.84f, 2), "refund of my order", "We refunded $25.00 to your card.", AnswerVector(1f, 101)),
            (Near(0.80f, 3), "refund for the order", "We refunded $40.00 to your card.", AnswerVector(0.99f, 102)));
        Assert.Null(redis);
        Assert.Null(inProcess);
    }

    [RedisFact]
    public async Task An_answer_about_as_close_to_two_different_answers_joins_neither()
    {
        // The third answer is 0.80 from the first and 0.79 from the second (within the 0.03 answer margin): unlinked, so
        // the first question's answer keeps a different answer 0.07 below it.
        float[] first = AnswerVector(1f, 101);
        float[] second = new float[Dims];
        second[102] = 1f;
        float[] third = new float[Dims];
        third[100] = 0.80f;
        third[102] = 0.79f;
        third[103] = MathF.Sqrt(1 - (0.80f * 0.80f) - (0.79f * 0.79f));
        (string? redis, string? inProcess) = await BothAsync(DefaultRule,
            (Near(0.95f, 2), "question a", "Answer one, worded one way.", first),
            (Near(0.60f, 4), "question b", "Answer two, about something else.", second),
            (Near(0.88f, 3), "question c", "Answer three, close to both.", third));
        Assert.Null(redis);
        Assert.Null(inProcess);
    }

    [RedisFact]
    public async Task A_link_is_ignored_by_a_rule_that_compares_answers_by_text_only()
    {
        var textOnly = SemanticMatchRules.Neighbourhood(answerSimilarity: 0);
        using IRedisSemanticCache cache = RedisSemanticCache.Create(Options(_f.Server!.Endpoint, Prefix()));
        ScopeKey scope = Scope("acme");
        Assert.Null(await cache.FindAsync(Query(scope, DefaultRule), CancellationToken.None));
        await cache.StoreAsync(scope, Near(0.95f, 2), Answer(scope, "question a one", "One wording of the answer.", AnswerVector(1f, 101)), CancellationToken.None);
        await cache.StoreAsync(scope, Near(0.88f, 3), Answer(scope, "question a two", "Another wording of the answer.", AnswerVector(0.90f, 102)), CancellationToken.None);
        Assert.Equal("One wording of the answer.", (await cache.FindAsync(Query(scope, DefaultRule), CancellationToken.None))?.Answer.Text);
        Assert.Null(await cache.FindAsync(Query(scope, textOnly), CancellationToken.None));
    }

    [RedisFact]
    public async Task An_entry_of_the_previous_format_is_still_read_and_served()
    {
        string prefix = Prefix();
        RedisSemanticCacheOptions options = Options(_f.Server!.Endpoint, prefix);
        ScopeKey scope = Scope("acme");
        string scopeHex = EntryCodec.Hex(scope.Hash);
        const ulong OldId = 0x1234;

        // Written as the previous release wrote it, before this instance loads the scope.
        using (ConnectionMultiplexer mux = await ConnectionMultiplexer.ConnectAsync(_f.Server.Endpoint))
        {
            IDatabase db = mux.GetDatabase();
            CachedAnswer old = Answer(scope, "question a one", "Answer A.", null);
            byte[] bytes = EntryCodec.EncodeEntryVersion1(Near(0.84f, 2), options.EmbeddingEncoding, old);
            Assert.Equal(1, bytes[3]);
            string tag = $"{prefix}:{{s{scopeHex}}}";
            await db.StringSetAsync($"{tag}:e:{EntryCodec.Hex(OldId)}", bytes, TimeSpan.FromHours(1));
            await db.HashSetAsync($"{tag}:v", EntryCodec.Hex(OldId), bytes.AsSpan(4, EntryCodec.VectorSize(options.EmbeddingEncoding, Dims)).ToArray());
        }

        using IRedisSemanticCache cache = RedisSemanticCache.Create(options);
        SemanticCacheHit? hit = await cache.FindAsync(new SemanticQuery(scope, "the question", Near(1f, 1), 0.80f), CancellationToken.None);
        Assert.Equal("Answer A.", hit?.Answer.Text);

        // A new entry (with an answer vector) and the old one (none) share an answer by text: support under the default rule.
        Assert.Null(await cache.FindAsync(Query(scope, DefaultRule), CancellationToken.None));
        await cache.StoreAsync(scope, Near(0.80f, 3), Answer(scope, "question a two", "answer a", AnswerVector(1f, 101)), CancellationToken.None);
        Assert.Equal("Answer A.", (await cache.FindAsync(Query(scope, DefaultRule), CancellationToken.None))?.Answer.Text);
    }

    [Fact]
    public void An_entry_carries_its_answer_vector_as_int8_and_its_link_in_420_more_bytes()
    {
        ScopeKey scope = Scope("acme");
        float[] question = Near(0.9f, 2);
        CachedAnswer withVector = Answer(scope, "question", "Order 1234 ships on Monday.", AnswerVector(0.8f, 101));
        byte[] v1 = EntryCodec.EncodeEntryVersion1(question, RedisEmbeddingEncoding.Float16, withVector);
        var link = new EntryLink(0xabc, 0x1234, 0.75f);
        byte[] v2 = EntryCodec.EncodeEntry(question, RedisEmbeddingEncoding.Float16, withVector, link);
        byte[] v2NoVector = EntryCodec.EncodeEntry(question, RedisEmbeddingEncoding.Float16, Answer(scope, "question", "Order 1234 ships on Monday.", null));

        // Values 8 + text hash 8 + answer id 8 + link 4 + flag 1, and the int8 answer vector: 7-byte header + 384.
        Assert.Equal(29, EntryCodec.AnswerHeader);
        Assert.Equal(v1.Length + 29 + 391, v2.Length);
        Assert.Equal(v1.Length + 29, v2NoVector.Length);

        var q = new float[Dims];
        var a = new float[Dims];
        Assert.True(EntryCodec.TryDecodeEntry(v2, Dims, q, out CachedAnswer? decoded, out EntryLink read, a));
        Assert.Equal(withVector.Text, decoded!.Text);
        Assert.Equal(link with { AnswerDimensions = Dims, TextHash = EntryCodec.AnswerTextHash(withVector.Text) }, read);
        Assert.InRange(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, AnswerVector(0.8f, 101)), 0.999f, 1.0001f);

        // Without room for the answer vector it is skipped; an old entry decodes with no link.
        Assert.True(EntryCodec.TryDecodeEntry(v2, Dims, q, out _, out read, default));
        Assert.Equal(Dims, read.AnswerDimensions);
        Assert.True(EntryCodec.TryDecodeEntry(v1, Dims, q, out decoded, out read, a));
        Assert.Equal(withVector.Text, decoded!.Text);
        Assert.Equal(default, read);

        // A truncated answer vector is a corrupt entry.
        Assert.False(EntryCodec.TryDecodeEntry(v2.AsSpan(0, v1.Length - JsonLength(v1) + EntryCodec.AnswerHeader + 100), Dims, q, out _, out _, a));
    }

    [Fact]
    public void An_int8_vector_whose_largest_component_is_negative_keeps_its_direction()
    {
        // Half of all embeddings have their largest component negative; they were stored as a zero vector.
        var v = new float[Dims];
        v[3] = -0.8f;
        v[7] = 0.6f;
        var decoded = new float[Dims];
        Assert.True(EntryCodec.TryDecodeVector(EntryCodec.EncodeVector(v, RedisEmbeddingEncoding.Int8), Dims, decoded) > 0);
        Assert.InRange(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(v, decoded), 0.9999f, 1.0001f);
    }

    private static int JsonLength(byte[] v1) => v1.Length - 4 - EntryCodec.VectorSize(RedisEmbeddingEncoding.Float16, Dims);
}
