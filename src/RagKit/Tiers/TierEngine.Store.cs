using RagKit.Caching;
using RagKit.Retrieval;

namespace RagKit.Tiers;

public sealed partial class TierEngine
{
    /// <summary>
    /// Stores an answer in every tier, fastest first: the in-process exact tier, the shared exact tiers, and with a
    /// question embedding the in-process and shared semantic tiers. Each shared tier gets its time budget; one that fails
    /// or is slow is skipped and logged.
    /// </summary>
    /// <param name="scope">The scope the answer was made in (<see cref="CachedAnswer.ScopeId"/> must be its id).</param>
    /// <param name="questionEmbedding">The embedding of the answer's question; empty to store in the exact tiers only.</param>
    /// <param name="answer">The answer, keyed by its normalized <see cref="CachedAnswer.Question"/>.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <exception cref="ArgumentException">The answer was made under another scope.</exception>
    public ValueTask StoreAsync(ScopeKey scope, ReadOnlyMemory<float> questionEmbedding, CachedAnswer answer, CancellationToken cancellationToken) =>
        StoreGeneratedAsync(scope, questionEmbedding, answer, sources: null, sameAnswerAs: default, replace: false, cancellationToken);

    /// <summary>
    /// <see cref="StoreAsync"/> with what only RagKit's front ends know: the retrieved sources (sharing stops as soon as
    /// one of them changes while storing; serving still checks versions), the explored entry whose answer was verified to
    /// be the same (the question joins its answer cluster), and whether an answer the in-process tiers hold for the
    /// question is replaced (imports).
    /// </summary>
    internal async ValueTask StoreGeneratedAsync(ScopeKey scope, ReadOnlyMemory<float> questionEmbedding, CachedAnswer answer, IReadOnlyList<ChunkMatch>? sources, SemanticExploration sameAnswerAs, bool replace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (!string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException("The answer was made under a different scope.", nameof(answer));
        }

        bool replaced = replace && LocalExact.TryGet(scope, answer.Question) is not null;
        LocalExact.Set(scope, answer);
        for (int i = 0; i < _sharedExact.Length; i++)
        {
            if (sources is null || Versions.AreCurrent(sources))
            {
                await _sharedExact[i].StoreAsync((Tier: _sharedExactTiers[i], scope, answer), static (s, ct) => s.Tier.SetAsync(s.scope, s.answer, ct), cancellationToken).ConfigureAwait(false);
            }
        }

        if (questionEmbedding.IsEmpty || (sources is not null && !Versions.AreCurrent(sources)))
        {
            return;
        }

        if (replaced)
        {
            await LocalSemantic.RemoveAsync(scope, answer.Question, cancellationToken).ConfigureAwait(false);
        }

        if (sameAnswerAs.IsExplore)
        {
            // Verified the same answer: the question joins the explored entry's answer cluster.
            LocalSemantic.Store(scope, questionEmbedding, answer, sameAnswerAs);
        }
        else
        {
            await LocalSemantic.StoreAsync(scope, questionEmbedding, answer, cancellationToken).ConfigureAwait(false);
        }

        for (int i = 0; i < _sharedSemantic.Length; i++)
        {
            if (sources is not null && !Versions.AreCurrent(sources))
            {
                break; // a source changed while storing: stop sharing the answer (serving still checks versions)
            }

            await _sharedSemantic[i].StoreAsync((Tier: _sharedSemanticTiers[i], scope, questionEmbedding, answer), static (s, ct) => s.Tier.StoreAsync(s.scope, s.questionEmbedding, s.answer, ct), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes the answer stored for a question from every tier (a wrong answer); a shared tier that fails is logged and
    /// counted as 0. Returns how many entries were removed.
    /// </summary>
    /// <param name="scope">The scope.</param>
    /// <param name="normalizedQuestion">The normalized question.</param>
    /// <param name="cancellationToken">Cancels the removals.</param>
    public async ValueTask<int> RemoveAsync(ScopeKey scope, string normalizedQuestion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(normalizedQuestion);
        int removed = 0;
        if (LocalExact.TryGet(scope, normalizedQuestion) is not null)
        {
            LocalExact.Remove(scope, normalizedQuestion);
            removed++;
        }

        for (int i = 0; i < _sharedExact.Length; i++)
        {
            removed += await _sharedExact[i].UpdateAsync((Tier: _sharedExactTiers[i], scope, normalizedQuestion), static (s, ct) => s.Tier.RemoveAsync(s.scope, s.normalizedQuestion, ct), countsInvalidations: false, cancellationToken).ConfigureAwait(false);
        }

        return removed + await RemoveSemanticAsync(scope, normalizedQuestion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a question's entries from the semantic tiers only (a refresh, which overwrites the exact ones).</summary>
    internal async ValueTask<int> RemoveSemanticAsync(ScopeKey scope, string normalizedQuestion, CancellationToken cancellationToken)
    {
        int removed = await LocalSemantic.RemoveAsync(scope, normalizedQuestion, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < _sharedSemantic.Length; i++)
        {
            removed += await _sharedSemantic[i].UpdateAsync((Tier: _sharedSemanticTiers[i], scope, normalizedQuestion), static (s, ct) => s.Tier.RemoveAsync(s.scope, s.normalizedQuestion, ct), countsInvalidations: false, cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    /// <summary>
    /// Drops every answer built from the documents from every tier, and the retrieval results that contain them.
    /// A shared tier that fails is logged; its stale entries are still never served here (versions are checked on
    /// every hit). Returns how many cached answers were removed.
    /// </summary>
    /// <param name="documents">The changed or deleted documents.</param>
    /// <param name="cancellationToken">Cancels the invalidations.</param>
    public async ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        int total = LocalExact.InvalidateDocuments(documents);
        _telemetry.Invalidated(ExactAnswerCache.TierName, total);
        if (Retrievals is not null)
        {
            _telemetry.Invalidated(RetrievalResultCache.TierName, Retrievals.InvalidateDocuments(documents));
        }

        for (int i = 0; i < _sharedExact.Length; i++)
        {
            total += await _sharedExact[i].UpdateAsync((Tier: _sharedExactTiers[i], documents), static (s, ct) => s.Tier.InvalidateDocumentsAsync(s.documents, ct), countsInvalidations: true, cancellationToken).ConfigureAwait(false);
        }

        int local = await LocalSemantic.InvalidateDocumentsAsync(documents, cancellationToken).ConfigureAwait(false);
        _telemetry.Invalidated(InProcessSemanticCache.TierName, local);
        total += local;
        for (int i = 0; i < _sharedSemantic.Length; i++)
        {
            total += await _sharedSemantic[i].UpdateAsync((Tier: _sharedSemanticTiers[i], documents), static (s, ct) => s.Tier.InvalidateDocumentsAsync(s.documents, ct), countsInvalidations: true, cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>
    /// Another instance changed the documents: drops what this process holds from them (in-process tiers and the
    /// retrieval results of their collections). The shared tiers were invalidated by that instance.
    /// </summary>
    internal void InvalidateInProcess(IReadOnlyCollection<DocumentKey> documents)
    {
        if (Retrievals is not null)
        {
            int retrievals = Retrievals.InvalidateDocuments(documents) + Retrievals.InvalidateCollections(documents.Select(d => (d.Tenant, d.Collection)));
            _telemetry.Invalidated(RetrievalResultCache.TierName, retrievals);
        }

        _telemetry.Invalidated(ExactAnswerCache.TierName, LocalExact.InvalidateDocuments(documents));
        ValueTask<int> local = LocalSemantic.InvalidateDocumentsAsync(documents, CancellationToken.None);
        if (local.IsCompletedSuccessfully)
        {
            _telemetry.Invalidated(InProcessSemanticCache.TierName, local.Result);
        }
        else
        {
            _ = local.AsTask();
        }
    }
}
