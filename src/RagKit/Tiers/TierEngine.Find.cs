using System.Buffers;
using System.Diagnostics;
using RagKit.Caching;
using RagKit.Diagnostics;

namespace RagKit.Tiers;

public sealed partial class TierEngine
{
    /// <summary>
    /// Step 1, the in-process exact tier (synchronous, no allocation on a hit): the answer stored for the normalized
    /// question in the scope, when it is still fresh. A stale one is dropped. Counts the hit or miss.
    /// </summary>
    /// <param name="scope">The scope.</param>
    /// <param name="normalizedQuestion">The question as <see cref="QuestionNormalizer"/> normalizes it.</param>
    public CachedAnswer? FindExact(in ScopeKey scope, ReadOnlySpan<char> normalizedQuestion)
    {
        CachedAnswer? hit = LocalExact.TryGet(scope, normalizedQuestion);
        if (hit is not null && !Versions.IsFresh(hit))
        {
            LocalExact.Remove(scope, hit.Question);
            hit = null;
        }

        if (hit is null)
        {
            _telemetry.Miss(ExactAnswerCache.TierName);
            return null;
        }

        _telemetry.Hit(ExactAnswerCache.TierName);
        return hit;
    }

    /// <summary>Step 1 for a question not yet normalized: normalizes it on the stack (rented beyond 1,008 characters).</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="question">The question as asked.</param>
    public CachedAnswer? FindExactAsAsked(in ScopeKey scope, string question)
    {
        // Most questions do not grow under NFKC: a stack buffer of their length first, the worst case only when needed.
        char[]? rented = null;
        Span<char> buffer = question.Length <= 1008 ? stackalloc char[question.Length + 16] : default;
        try
        {
            if (!QuestionNormalizer.TryNormalize(question, buffer, out int n))
            {
                rented = ArrayPool<char>.Shared.Rent(QuestionNormalizer.MaxNormalizedLength(question.Length));
                buffer = rented;
                n = QuestionNormalizer.Normalize(question, buffer);
            }

            return FindExact(scope, buffer[..n]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Step 2, the shared exact tiers in order, each within its budget: the first fresh answer for exactly this question
    /// and scope, promoted into the in-process exact tier. A tier that fails or is slow is recorded in <paramref name="skips"/>.
    /// </summary>
    /// <param name="scope">The scope.</param>
    /// <param name="normalizedQuestion">The normalized question.</param>
    /// <param name="skips">Where skipped tiers are recorded.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    public async ValueTask<TierHit?> FindSharedExactAsync(ScopeKey scope, string normalizedQuestion, TierSkips skips, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(normalizedQuestion);
        ArgumentNullException.ThrowIfNull(skips);
        for (int i = 0; i < _sharedExact.Length; i++)
        {
            TierAccessor tier = _sharedExact[i];
            CachedAnswer? shared = await tier.FindAsync(
                (Tier: _sharedExactTiers[i], scope, normalizedQuestion),
                static (s, ct) => s.Tier.GetAsync(s.scope, s.normalizedQuestion, ct),
                skips,
                cancellationToken).ConfigureAwait(false);
            if (shared is null || !string.Equals(shared.Question, normalizedQuestion, StringComparison.Ordinal) || !IsServable(shared, scope))
            {
                tier.CountMiss();
                continue;
            }

            tier.CountHit();
            LocalExact.Set(scope, shared);
            return new TierHit(shared, tier.Name, 1f);
        }

        return null;
    }

    /// <summary>
    /// Step 3, the semantic tiers in order (in-process, then shared within their budgets): the first answer the rule
    /// accepts and that passes the checks, promoted into the in-process exact tier (and the in-process semantic tier
    /// when a shared tier served it).
    /// </summary>
    /// <param name="query">The scope, normalized question, its embedding, threshold and rule.</param>
    /// <param name="skips">Where skipped tiers are recorded.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    public async ValueTask<TierHit?> FindSemanticAsync(SemanticQuery query, TierSkips skips, CancellationToken cancellationToken) =>
        (await FindSemanticExploringAsync(query, skips, cancellationToken).ConfigureAwait(false)).Hit;

    /// <summary>
    /// <see cref="FindSemanticAsync"/>, and the candidate a verified rule explored on a miss (the front end generates,
    /// verifies, and passes it to <see cref="StoreGeneratedAsync"/>).
    /// </summary>
    internal async ValueTask<(TierHit? Hit, SemanticExploration Exploration)> FindSemanticExploringAsync(SemanticQuery query, TierSkips skips, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(skips);
        long t = Stopwatch.GetTimestamp();
        SemanticExploration exploration = default;
        SemanticCacheHit? local = LocalSemantic.Find(query, out SemanticExploration explored);
        if (_ruleExplores)
        {
            exploration = explored;
        }

        _telemetry.Lookup(InProcessSemanticCache.TierName, Stopwatch.GetElapsedTime(t));
        if (local is not null && IsServable(local.Answer, query.Scope))
        {
            _telemetry.Hit(InProcessSemanticCache.TierName);
            LocalExact.Set(query.Scope, Rekey(local.Answer, query.Question));
            return (new TierHit(local.Answer, InProcessSemanticCache.TierName, local.Similarity), exploration);
        }

        _telemetry.Miss(InProcessSemanticCache.TierName);
        for (int i = 0; i < _sharedSemantic.Length; i++)
        {
            TierAccessor tier = _sharedSemantic[i];
            SemanticCacheHit? hit = await tier.FindAsync(
                (Tier: _sharedSemanticTiers[i], query),
                static (s, ct) => s.Tier.FindAsync(s.query, ct),
                skips,
                cancellationToken).ConfigureAwait(false);
            if (hit is null || !IsServable(hit.Answer, query.Scope))
            {
                // Never served: another scope's entry (a broken tier) or built from a changed document.
                tier.CountMiss();
                continue;
            }

            tier.CountHit();
            CachedAnswer promoted = Rekey(hit.Answer, query.Question);
            LocalExact.Set(query.Scope, promoted);
            await LocalSemantic.StoreAsync(query.Scope, query.Embedding, promoted, cancellationToken).ConfigureAwait(false);
            return (new TierHit(hit.Answer, tier.Name, hit.Similarity), exploration);
        }

        return (null, exploration);
    }

    /// <summary>Served only in its own scope (compared in full; each tier checks expiry), while fresh and while the feeds are caught up.</summary>
    private bool IsServable(CachedAnswer answer, in ScopeKey scope) =>
        string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal)
        && Versions.IsFresh(answer)
        && Versions.CachesServable();
}
