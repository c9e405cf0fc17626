using Microsoft.Extensions.Time.Testing;
using RagKit.Caching;
using RagKit.Ingestion;

namespace RagKit.Tests.Caching;

public sealed class CacheUnitTests
{
    private static readonly ScopeKey Scope = new RagScope("acme").GetKey("v1");

    [Theory]
    [InlineData("How do I reset my password?", "how do i reset my password")]
    [InlineData("  HOW   do I\treset my password ?!", "how do i reset my password")]
    [InlineData("ｈｏｗ ｄｏ Ｉ reset my password？", "how do i reset my password")]
    [InlineData("Café?", "café")]
    public void NormalizationFoldsCaseWhitespaceWidthAndEndPunctuation(string input, string expected) =>
        Assert.Equal(expected, QuestionNormalizer.Normalize(input));

    [Fact]
    public void Scopes_with_different_groups_or_versions_have_different_keys()
    {
        ScopeKey plain = new RagScope("acme").GetKey("v1");
        ScopeKey grouped = new RagScope("acme", "default", ["a"]).GetKey("v1");
        ScopeKey reordered = new RagScope("acme", "default", ["b", "a"]).GetKey("v1");
        ScopeKey same = new RagScope("acme", "default", ["a", "b", "a"]).GetKey("v1");
        ScopeKey otherVersion = new RagScope("acme").GetKey("v2");

        Assert.NotEqual(plain.Id, grouped.Id);
        Assert.Equal(reordered.Id, same.Id);
        Assert.NotEqual(plain.Id, otherVersion.Id);

        // Length prefixes: no choice of names makes two scopes collide.
        Assert.NotEqual(new RagScope("a;b", "c").CanonicalId, new RagScope("a", "b;c").CanonicalId);
    }

    [Fact]
    public void Exact_tier_expires_entries_after_their_ttl()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new ExactAnswerCache(100, 1 << 20, EvictionPolicyFactory.Lru, time);
        cache.Set(Scope, Answer("q", time.GetUtcNow() + TimeSpan.FromMinutes(10)));

        Assert.NotNull(cache.TryGet(Scope, "q"));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(cache.TryGet(Scope, "q"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Exact_tier_evicts_the_least_recently_used_entry_at_capacity()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new ExactAnswerCache(2, 1 << 20, EvictionPolicyFactory.Lru, time);
        DateTimeOffset expires = time.GetUtcNow().AddDays(1);
        cache.Set(Scope, Answer("a", expires));
        cache.Set(Scope, Answer("b", expires));
        Assert.NotNull(cache.TryGet(Scope, "a"));
        cache.Set(Scope, Answer("c", expires));

        Assert.NotNull(cache.TryGet(Scope, "a"));
        Assert.Null(cache.TryGet(Scope, "b"));
        Assert.NotNull(cache.TryGet(Scope, "c"));
    }

    [Fact]
    public void Exact_tier_honours_its_byte_budget()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        long oneEntry = Answer("a", time.GetUtcNow()).EstimatedSize;
        var cache = new ExactAnswerCache(1000, (oneEntry * 3) + 10, EvictionPolicyFactory.Lru, time);
        for (int i = 0; i < 10; i++)
        {
            cache.Set(Scope, Answer(((char)('a' + i)).ToString(), time.GetUtcNow().AddDays(1)));
        }

        Assert.Equal(3, cache.Count);
        Assert.True(cache.Bytes <= (oneEntry * 3) + 10);
    }

    [Fact]
    public void Exact_tier_never_serves_an_entry_from_another_scope()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new ExactAnswerCache(100, 1 << 20, EvictionPolicyFactory.Lru, time);
        cache.Set(Scope, Answer("q", time.GetUtcNow().AddDays(1)));

        // A forged key with the same hash but another id must not match.
        Assert.Null(cache.TryGet(new ScopeKey("someone-else", Scope.Hash), "q"));
        Assert.Null(cache.TryGet(new RagScope("other").GetKey("v1"), "q"));
    }

    [Fact]
    public void Chunker_keeps_sentences_whole_and_overlaps()
    {
        string text = string.Join(" ", Enumerable.Range(1, 30).Select(i => $"This is sentence number {i}."));
        List<string> chunks = SentenceChunker.Chunk(text, 200, 60);

        Assert.True(chunks.Count > 3);
        Assert.All(chunks, c => Assert.True(c.Length <= 200, c));
        Assert.All(chunks, c => Assert.EndsWith(".", c, StringComparison.Ordinal));
        for (int i = 1; i < chunks.Count; i++)
        {
            string lastSentenceOfPrevious = chunks[i - 1][(chunks[i - 1].LastIndexOf("This", StringComparison.Ordinal))..];
            Assert.Contains(lastSentenceOfPrevious, chunks[i], StringComparison.Ordinal);
            Assert.StartsWith("This is sentence", chunks[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Chunker_splits_overlong_sentences_at_words()
    {
        string text = string.Join(" ", Enumerable.Repeat("word", 500));
        List<string> chunks = SentenceChunker.Chunk(text, 100, 0);
        Assert.All(chunks, c => Assert.True(c.Length <= 100));
        Assert.Equal(500, chunks.Sum(c => c.Split(' ').Length));
    }

    private static CachedAnswer Answer(string question, DateTimeOffset expires) => new()
    {
        Question = question,
        ScopeId = Scope.Id,
        Text = "answer to " + question,
        Citations = [],
        Provenance = [new ProvenanceEntry(new DocumentKey("acme", "default", "d"), "d#0", 1)],
        ExpiresAt = expires,
    };
}
