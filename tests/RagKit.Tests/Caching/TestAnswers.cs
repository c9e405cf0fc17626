using RagKit.Caching;

namespace RagKit.Tests.Caching;

/// <summary>Cached answers for tier-level tests: no citations or provenance, never expiring.</summary>
internal static class TestAnswers
{
    public static CachedAnswer Answer(ScopeKey scope, string question, string text) => new()
    {
        Question = question,
        ScopeId = scope.Id,
        Text = text,
        Citations = [],
        Provenance = [],
        CreatedAt = DateTimeOffset.UnixEpoch,
        ExpiresAt = DateTimeOffset.MaxValue,
    };
}
