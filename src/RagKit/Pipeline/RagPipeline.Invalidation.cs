using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Internal;
using RagKit.Tiers;

namespace RagKit;

/// <summary>
/// Invalidation: change marks and versions published to the other instances, their changes applied here, and answers
/// reported wrong.
/// </summary>
internal sealed partial class RagPipeline
{
    public async Task<int> ReportWrongAnswerAsync(string question, AskOptions options, CancellationToken cancellationToken = default)
    {
        ValidateQuestion(question);
        ArgumentNullException.ThrowIfNull(options);
        ScopeKey scope = options.Scope.GetKey(ConversationScope.Stamp(VersionStamp, question, options.ConversationContext, options.DependsOnContext));
        string normalized = QuestionNormalizer.Normalize(question);
        int removed = await _tiers.RemoveAsync(scope, normalized, cancellationToken).ConfigureAwait(false);

        // The neighbourhood becomes stricter: every in-process entry that would serve this question again gets its
        // similarity floor raised above it.
        try
        {
            GeneratedEmbeddings<Embedding<float>> embedded = await _embedder.GenerateAsync([normalized], cancellationToken: cancellationToken).ConfigureAwait(false);
            _tiers.LocalSemantic.Penalize(scope, embedded[0].Vector.Span, options.SemanticThreshold ?? _options.SemanticThreshold);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.TierFailed(_logger, InProcessSemanticCache.TierName, ex);
        }

        return removed;
    }

    /// <summary>
    /// Another instance changed or deleted documents: take their new versions (so answers built from them can be cached
    /// and served again) and drop the answers built from the old ones from the in-process tiers. Runs on the feed's
    /// thread before the feed reports itself caught up.
    /// </summary>
    private void OnRemoteInvalidation(object? sender, DocumentsInvalidatedEventArgs e)
    {
        if (e.IsReset)
        {
            // The feed lost track: nothing cached here before now is trusted again, and the versions start over.
            _tiers.Versions.Reset(e.Versions);
            _tiers.Retrievals?.Clear();
            return;
        }

        if (e.Versions.Count > 0)
        {
            foreach (DocumentVersion v in e.Versions)
            {
                _tiers.Versions.Set(v);
            }
        }
        else
        {
            foreach (DocumentKey d in e.Documents)
            {
                _tiers.Versions.Forget(d); // version unknown: learned again from retrieval
            }
        }

        _tiers.InvalidateInProcess(e.Documents);
    }

    /// <summary>Tells every feed that documents are about to change; when one cannot be told, nothing is written.</summary>
    private Task PublishChangingAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken) =>
        PublishToFeedsAsync(
            (documents, cancellationToken),
            static (feed, s) => feed.PublishChangingAsync(s.documents, s.cancellationToken),
            documents.Count,
            "change",
            $"RagKit could not tell the other instances that {documents.Count} document(s) are changing, so none of them was written: "
            + "the shared tier that carries invalidations is unreachable or too slow. For cached answers RagKit chooses consistency over "
            + "availability; retry the ingest or delete when the tier is back.",
            cancellationToken);

    /// <summary>Publishes new versions to every feed; the ingest or delete returns only once they are durable.</summary>
    private Task PublishVersionsAsync(IReadOnlyList<DocumentVersion> versions, CancellationToken cancellationToken) =>
        PublishToFeedsAsync(
            (versions, cancellationToken),
            static (feed, s) => feed.PublishVersionsAsync(s.versions, s.cancellationToken),
            versions.Count,
            "version",
            $"RagKit wrote {versions.Count} document(s) but could not publish their new versions to the other instances. They serve no "
            + "answer built from these documents until the change mark expires, then learn the versions from retrieval; retry the ingest "
            + "or delete to commit at once.",
            cancellationToken);

    /// <summary>Runs one publish on every feed; a failure is logged and thrown as an <see cref="InvalidOperationException"/> saying what it means.</summary>
    private async Task PublishToFeedsAsync<TState>(TState state, Func<IDocumentInvalidationFeed, TState, ValueTask> publish, int count, string what, string failure, CancellationToken cancellationToken)
    {
        foreach (IDocumentInvalidationFeed feed in _tiers.Feeds)
        {
            try
            {
                await publish(feed, state).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Log.PublishFailed(_logger, count, what, ex);
                throw new InvalidOperationException(failure, ex);
            }
        }
    }
}
