namespace RagKit.Generation;

/// <summary>
/// The numbers the extractive answerer decides with. The defaults were calibrated on the dev split of
/// benchmarks/RagKit.Benchmarks.Extractive (see docs/extractive.md); the harness sweeps them.
/// </summary>
/// <param name="LexicalWeight">Share of the score that comes from the question words a block contains (the rest is the
/// cosine similarity of the block's and the question's embeddings).</param>
/// <param name="MinScore">Below this best score the answer is "I don't know" (with embeddings).</param>
/// <param name="MinCoverage">Below this share of the question's weighted words the answer is "I don't know" (without embeddings).</param>
/// <param name="ContextWeight">How much a question word counts when it is only in a block's breadcrumb, lead-in or title.</param>
/// <param name="SecondBlockShare">A second block is quoted only when it scores at least this share of the best one.</param>
/// <param name="SubjectBonus">Added for a sentence whose first word the question names ("RagKit is ..." for "What is RagKit?").</param>
/// <param name="MaxGap">Above this, the answer is "I don't know" (with embeddings): how much closer the question without
/// the words no source contains sits to the best block than the whole question does. The block then answers the rest
/// of the question, not what those words ask ("How much does the Premium plan cost?" against "The Premium plan removes
/// the limit.").</param>
/// <param name="HowToCommandBonus">Added for a command (code of at most three lines) when the question asks how to do
/// something ("How do I remove old snapshots?").</param>
/// <param name="MinScoreWithoutProperty">Below this best score the answer is "I don't know" (with embeddings) when the best
/// block says nothing of what the question's wh-phrase asks for, neither by name nor by a quantity in its units ("How
/// much storage ...?" against a block without "storage" or "GB").</param>
/// <param name="MinScoreWithoutQuantity">Below this best score the answer is "I don't know" (with embeddings) when the
/// question asks for a quantity ("How many ...?", "at most") and the best block holds no number at all; shipped as
/// always (no dev answer that finds its fact lacks a number).</param>
/// <param name="RoleBonus">Added for a block in the section that answers the kind of question asked: a cause for "Why
/// ...?", a resolution for "What should I do ...?".</param>
/// <param name="PremisePenalty">Taken off a block in the section that states the problem ("Symptoms") when the question
/// asks why it happens or what to do: it restates the question.</param>
internal sealed record ExtractiveCalibration(double LexicalWeight, double MinScore, double MinCoverage, double ContextWeight, double SecondBlockShare, double SubjectBonus, double MaxGap, double HowToCommandBonus = 0.05, double MinScoreWithoutProperty = double.NegativeInfinity, double MinScoreWithoutQuantity = double.NegativeInfinity, double RoleBonus = 0.1, double PremisePenalty = 0.25)
{
    public static ExtractiveCalibration Default { get; } = new(LexicalWeight: 0.7, MinScore: 0.33, MinCoverage: 0.25, ContextWeight: 0.6, SecondBlockShare: 0.9, SubjectBonus: 0.05, MaxGap: 0.075, HowToCommandBonus: 0.05, MinScoreWithoutProperty: 0.65, MinScoreWithoutQuantity: double.PositiveInfinity, RoleBonus: 0.1, PremisePenalty: 0.25);
}
