using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>The lexical guards on inputs beyond the stack-buffer fast path.</summary>
public sealed class GuardTests
{
    private static readonly string Filler = string.Join(' ', Enumerable.Repeat("please also tell me about the usual steps for this", 12));

    [Fact]
    public void Long_questions_are_guarded_like_short_ones()
    {
        string question = $"can i withdraw 100 dollars abroad {Filler}";
        Assert.True(question.Length > 512);
        Assert.True(QuestionGuards.Compatible(question, question.Replace("can i", "is it possible to", StringComparison.Ordinal)));
        Assert.False(QuestionGuards.Compatible(question, question.Replace("100", "500", StringComparison.Ordinal)));
        Assert.False(QuestionGuards.Compatible(question, question.Replace("can i", "can't i", StringComparison.Ordinal)));
    }

    [Fact]
    public void Very_long_tokens_are_compared_by_their_start()
    {
        string url = "https://example.com/" + new string('a', 100);
        Assert.True(QuestionGuards.Compatible($"what is at {url}", $"what can i find at {url}"));
        Assert.False(QuestionGuards.Compatible($"what is at {url} on 3 may", $"what is at {url} on 4 may"));
    }

    [Fact]
    public void Questions_with_more_words_than_can_be_compared_are_not_compatible()
    {
        string huge = string.Join(' ', Enumerable.Repeat("word", 1500));
        Assert.False(QuestionGuards.Compatible(huge, huge + " more"));
    }
}
