using RagKit.Generation;

namespace RagKit.Tests.Generation;

public sealed class ExtractiveWordsTests
{
    [Theory]
    [InlineData("logging", "log")]
    [InlineData("stopped", "stop")]
    [InlineData("dropping", "drops")]
    [InlineData("installed", "install")] // a doubled l stays
    [InlineData("passed", "pass")]
    [InlineData("added", "add")] // a stem of three letters keeps its double
    [InlineData("feeding", "feed")]
    public void A_consonant_doubled_before_ing_or_ed_meets_the_plain_word(string inflected, string plain)
    {
        Assert.Equal(ExtractiveAnswerer.Words(plain), ExtractiveAnswerer.Words(inflected));
    }
}
