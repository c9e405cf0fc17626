using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>
/// Probes for the guard holes seen on unseen data, one class per test: each blocked pair has a different meaning; each
/// passed pair is a paraphrase that must stay servable. Written for the classes, not taken from a data set.
/// </summary>
public sealed class GuardProbeTests
{
    private static bool Compatible(string a, string b) =>
        QuestionGuards.Compatible(QuestionNormalizer.Normalize(a), QuestionNormalizer.Normalize(b))
        && QuestionGuards.Compatible(QuestionNormalizer.Normalize(b), QuestionNormalizer.Normalize(a));

    [Theory]
    [InlineData("flights from paris to london", "flights from london to paris")]
    [InlineData("how do i convert usd to eur", "how do i convert eur to usd")]
    [InlineData("convert celsius to fahrenheit", "fahrenheit to celsius")]
    [InlineData("transfer money from savings to checking", "transfer money from checking to savings")]
    [InlineData("is gold heavier than lead", "is lead heavier than gold")]
    [InlineData("train from new york to los angeles", "train from los angeles to new york")]
    [InlineData("translate english into german", "translate german into english")]
    [InlineData("how many miles in a kilometer", "how many kilometers in a mile")]
    [InlineData("how many cups in a liter", "how many liters in a cup")]
    [InlineData("convert the dollar to the euro", "convert the euro to the dollar")]
    public void AdjacentSwappedRolesAreBlocked(string a, string b) => Assert.False(Compatible(a, b));

    [Theory]
    [InlineData("flights from paris to london", "flights to london from paris")]
    [InlineData("how do i convert usd to eur", "what is the way to convert usd to eur")]
    [InlineData("difference between stocks and bonds", "difference between bonds and stocks")]
    [InlineData("can i send money to my sister", "how can i send money to my sister")]
    [InlineData("how many miles in a kilometer", "how many miles are in a kilometer")]
    [InlineData("send the card to the office", "send the cards to the office")]
    public void RolesThatKeepTheirRelationPass(string a, string b) => Assert.True(Compatible(a, b));

    [Theory]
    [InlineData("have you ever been late", "have you never been late")]
    [InlineData("is it always cold", "is it never cold")]
    [InlineData("do you always answer", "do you sometimes answer")]
    [InlineData("does it often rain", "does it rarely rain")]
    [InlineData("is everything included", "is nothing included")]
    [InlineData("can anyone join", "can no one join")]
    [InlineData("is anyone home", "is no one home")]
    public void PolarityWordsInShortQuestionsAreBlocked(string a, string b) => Assert.False(Compatible(a, b));

    [Theory]
    [InlineData("copy the file from my phone to my laptop", "copy the file from my laptop to my phone")]
    [InlineData("forward calls from my mobile to my landline", "forward calls from my landline to my mobile")]
    [InlineData("send the parcel from our office to their warehouse", "send the parcel from their warehouse to our office")]
    public void Roles_swapped_around_a_relation_word_with_a_possessive_are_blocked(string a, string b) => Assert.False(Compatible(a, b));

    [Theory]
    [InlineData("copy the file from my phone to my laptop", "copy the file to my laptop from my phone")]
    [InlineData("forward calls from my mobile to my landline", "how do i forward calls from my mobile to my landline")]
    [InlineData("is no one home", "is nobody home")]
    public void A_moved_clause_or_the_same_roles_pass(string a, string b) => Assert.True(Compatible(a, b));

    [Theory]
    [InlineData("have you been to paris", "have you ever been to paris")]
    [InlineData("is it cold in winter", "is it usually cold in winter")]
    public void Polarity_on_one_side_only_passes(string a, string b) => Assert.True(Compatible(a, b));

    [Theory]
    [InlineData("is coffee good for you", "is coffee bad for you")]
    [InlineData("what foods should i eat", "what foods should i avoid")]
    [InlineData("is the water deep", "is the water shallow")]
    [InlineData("how do i win the game", "how do i lose the game")]
    [InlineData("why is my phone so slow", "why is my phone so fast")]
    [InlineData("when did the shop open", "when did the shop close")]
    [InlineData("who bought the company", "who sold the company")]
    [InlineData("how to make the font bigger", "how to make the font smaller")]
    [InlineData("is the test easy", "is the test hard")]
    [InlineData("is the car expensive", "is the car inexpensive")]
    public void AntonymsBeyondTheHandListAreBlocked(string a, string b) => Assert.False(Compatible(a, b));

    [Theory]
    [InlineData("is coffee good for you", "is coffee healthy for you")]
    [InlineData("why is my phone slow", "why is my phone sluggish")]
    [InlineData("is the test easy", "is the test simple")]
    [InlineData("how to make the font bigger", "how to make the font larger")]
    public void Synonyms_pass(string a, string b) => Assert.True(Compatible(a, b));

    // Indirect antonymy (WordNet's adjective clusters, and the synsets of antonym verbs): neither word is the other's
    // direct antonym, each sits in the opposite cluster ("quiet" is similar to "soft", the antonym of "loud").
    [Theory]
    [InlineData("is the room too loud", "is the room too quiet")]
    [InlineData("is the water warm", "is the water cold")]
    [InlineData("is the product cheap", "is the product pricey")]
    [InlineData("is the test hard", "is the test simple")]
    [InlineData("is the app fast", "is the app sluggish")]
    [InlineData("is the soup hot", "is the soup chilly")]
    [InlineData("is the car new", "is the car used")]
    [InlineData("why is the fan louder now", "why is the fan quieter now")]
    [InlineData("how do i expand the partition", "how do i shrink the partition")]
    [InlineData("is the meeting mandatory", "is the meeting optional")]
    public void AntonymsThroughWordNetClustersAreBlocked(string a, string b) => Assert.False(Compatible(a, b));

    [Theory]
    [InlineData("is the room too loud", "is the room too noisy")]
    [InlineData("is the library quiet", "is the library silent")]
    [InlineData("is the shop busy now", "is the shop crowded now")]
    [InlineData("is the product cheap", "is the product inexpensive")]
    [InlineData("is the water warm", "is the water hot")]
    [InlineData("is the coffee good", "is the coffee tasty")]
    [InlineData("why is my balance wrong", "why is my balance incorrect")]
    [InlineData("is the transfer slow", "is the transfer delayed")]
    public void Words_of_one_cluster_pass(string a, string b) => Assert.True(Compatible(a, b));

    [Theory]
    [InlineData("withdraw 100 dollars", "withdraw dollars")]
    [InlineData("who won the first game", "who won the game")]
    [InlineData("who won the 2nd round", "who won the round")]
    [InlineData("what happened in 1990", "what happened then")]
    [InlineData("who was the third president", "who was the fourth president")]
    [InlineData("who was the 3rd president", "who was the 4th president")]
    public void ANumberOrOrdinalOnOneSideOnlyIsBlocked(string a, string b) => Assert.False(Compatible(a, b));

    [Theory]
    [InlineData("who was the 3rd president", "who was the third president")]
    [InlineData("withdraw 100 dollars", "take out 100 dollars")]
    public void The_same_number_or_ordinal_in_other_words_passes(string a, string b) => Assert.True(Compatible(a, b));

    [Fact]
    public void Answers_with_different_values_are_not_the_same()
    {
        Assert.True(QuestionGuards.SameValues("Your order {{Order Number}} ships on Monday.", "Order {{Order Number}} will ship Monday."));
        Assert.False(QuestionGuards.SameValues("Your order 1234 ships on Monday.", "Your order 5678 ships on Monday."));
        Assert.False(QuestionGuards.SameValues("The fee is 5 euros.", "The fee is waived."));
        Assert.False(QuestionGuards.SameValues("It ships on Monday.", "It ships on Friday."));
    }
}
