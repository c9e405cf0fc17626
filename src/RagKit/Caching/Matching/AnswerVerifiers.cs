namespace RagKit.Caching;

/// <summary>The answer verifiers RagKit ships.</summary>
public static class AnswerVerifiers
{
    /// <summary>Same answer when the two texts are equal after <see cref="QuestionNormalizer.Normalize(string)"/> (case, whitespace, punctuation).</summary>
    public static IAnswerVerifier NormalizedText { get; } = new NormalizedTextVerifier();

    private sealed class NormalizedTextVerifier : IAnswerVerifier
    {
        public ValueTask<bool> SameAnswerAsync(string question, string cachedAnswer, string freshAnswer, CancellationToken cancellationToken) =>
            ValueTask.FromResult(string.Equals(QuestionNormalizer.Normalize(cachedAnswer), QuestionNormalizer.Normalize(freshAnswer), StringComparison.Ordinal));
    }
}
