using RagKit.Retrieval;

namespace RagKit.Generation;

/// <summary>What the extractive answerer decided.</summary>
/// <param name="Text">The answer, or a refusal starting with <see cref="ExtractiveAnswerer.DontKnow"/>.</param>
/// <param name="Citations">Citations numbered 1..n in the order they appear in the text.</param>
/// <param name="Sources">The sources, cited ones first in citation order, so that [n] names the n-th.</param>
/// <param name="Score">The best block's score (0 to 1); below <see cref="ExtractiveCalibration.MinScore"/> the answer is a refusal.</param>
/// <param name="Refused">True when the answer is "I don't know".</param>
/// <param name="Semantic">True when sentence embeddings took part in the score.</param>
internal sealed record ExtractiveAnswer(string Text, List<Citation> Citations, IReadOnlyList<ChunkMatch> Sources, double Score, bool Refused, bool Semantic)
{
    /// <summary>Share of the question's weighted words that no retrieved block contains, even in its context.</summary>
    public double Absent { get; init; }

    /// <summary>The best block's share of the question's weighted words.</summary>
    public double BestCoverage { get; init; }

    /// <summary>How far the best block's score is above the next one's.</summary>
    public double Margin { get; init; }

    /// <summary>How much closer the question without its words that no block contains sits to the best block.</summary>
    public double Gap { get; init; }

    /// <summary>What the question asks for by its wh-phrase ("price" in "What is the price of ...?"), stemmed; null when none.</summary>
    public string? Property { get; init; }

    /// <summary>True when the best block says nothing of <see cref="Property"/>, neither in its words nor in its context.</summary>
    public bool PropertyUnsaid { get; init; }

    /// <summary>True when the question asks for a quantity (how much, how many, a maximum) and the best block has no number.</summary>
    public bool QuantityUnsaid { get; init; }
}
