using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Generation;
using RagKit.Internal;
using RagKit.Retrieval;
using RagKit.Tiers;

namespace RagKit;

/// <summary>The recipe of an ask: the exact tiers, the semantic tiers, retrieval, then generation.</summary>
internal sealed partial class RagPipeline
{
    private readonly InFlight<RagAnswer> _inFlight = new();

    public ValueTask<RagAnswer> AskAsync(string question, AskOptions options, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        ValidateQuestion(question);
        ArgumentNullException.ThrowIfNull(options);
        ScopeKey scope = options.Scope.GetKey(ConversationScope.Stamp(VersionStamp, question, options.ConversationContext, options.DependsOnContext));

        // 1. The in-process exact tier: synchronous, no allocation on a hit.
        if (options.UseCache && _tiers.CachesServable && _tiers.FindExactAsAsked(scope, question) is { } hit)
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            RecordAnswered(ExactAnswerCache.TierName, elapsed);
            return new ValueTask<RagAnswer>(FromCache(hit, new TierReport { Tier = AnswerTier.Exact, ExactLookup = elapsed, Total = elapsed }));
        }

        // 2. Everything else runs once per question in flight.
        return new ValueTask<RagAnswer>(AskSlowAsync(question, QuestionNormalizer.Normalize(question), scope, options, start, cancellationToken));
    }

    private async Task<RagAnswer> AskSlowAsync(string question, string normalized, ScopeKey scope, AskOptions options, long start, CancellationToken cancellationToken)
    {
        if (!options.UseCache)
        {
            return await ComputeAsync(question, normalized, scope, options, start, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            TaskCompletionSource<RagAnswer>? lead = _inFlight.TryLead(scope.Id, normalized, out Task<RagAnswer>? running);
            if (lead is null)
            {
                RagAnswer? joined = await JoinAsync(running!, start, cancellationToken).ConfigureAwait(false);
                if (joined is not null)
                {
                    return joined;
                }

                continue; // the leader was cancelled: ask again
            }

            try
            {
                RagAnswer answer = await ComputeAsync(question, normalized, scope, options, start, cancellationToken).ConfigureAwait(false);
                lead.TrySetResult(answer);
                return answer;
            }
            catch (OperationCanceledException)
            {
                lead.TrySetCanceled(CancellationToken.None);
                throw;
            }
            catch (Exception ex)
            {
                lead.TrySetException(ex);
                throw;
            }
            finally
            {
                _inFlight.End(scope.Id, normalized, lead);
            }
        }
    }

    private async Task<RagAnswer> ComputeAsync(string question, string normalized, ScopeKey scope, AskOptions options, long start, CancellationToken cancellationToken)
    {
        using Activity? activity = RagKitTelemetry.Source.StartActivity("ragkit.ask");
        StageTimings timings = NewTimings(options);
        Prepared prepared = await PrepareAsync(normalized, scope, options, timings, start, cancellationToken).ConfigureAwait(false);
        RagAnswer answer = prepared.CachedHit
            ?? (SingleFlight is not null && options.UseCache && !timings.Unconfirmed
                ? await GenerateSingleFlightAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false)
                : await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false));
        // The same value as the metrics' `tier` tag: the name of the tier that served, or "generated".
        activity?.SetTag(TelemetryTags.ActivityTier, answer.Tier == AnswerTier.Generated ? RagKitTelemetry.GeneratedTier : timings.ServedBy ?? answer.Tier.ToString().ToLowerInvariant());
        return answer;
    }

    /// <summary>The shared exact tiers, then the question's embedding, the semantic tiers and, on a miss, the sources.</summary>
    private async Task<Prepared> PrepareAsync(string normalized, ScopeKey scope, AskOptions options, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        RememberScope(scope, options.Scope);
        long t = Stopwatch.GetTimestamp();
        bool useCache = options.UseCache && !timings.Unconfirmed;

        // 3. The shared exact tiers, each within its budget.
        if (useCache && await _tiers.FindSharedExactAsync(scope, normalized, timings.Skips, cancellationToken).ConfigureAwait(false) is { } shared)
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(t);
            RecordAnswered(shared.Tier, elapsed);
            timings.ServedBy = shared.Tier;
            return new Prepared(ReadOnlyMemory<float>.Empty, [], FromCache(shared.Answer, new TierReport
            {
                Tier = AnswerTier.Exact,
                ExactLookup = elapsed,
                SkippedTiers = timings.Skipped,
                Total = elapsed,
            }));
        }

        // 4. The question's embedding.
        t = Stopwatch.GetTimestamp();
        GeneratedEmbeddings<Embedding<float>> embeddings = await _embedder.GenerateAsync([normalized], cancellationToken: cancellationToken).ConfigureAwait(false);
        EmbeddingValidation.ThrowIfInvalid(embeddings, 1, _embedder, _ => $"the question '{Abbreviate(normalized)}'");
        ReadOnlyMemory<float> vector = embeddings[0].Vector;
        timings.Embedding = Stopwatch.GetElapsedTime(t);

        // 5. The semantic tiers: in-process, then shared within their budgets.
        if (useCache)
        {
            t = Stopwatch.GetTimestamp();
            var query = new SemanticQuery(scope, normalized, vector, options.SemanticThreshold ?? _options.SemanticThreshold) { Rule = _options.SemanticMatchRule };
            (TierHit? hit, SemanticExploration exploration) = await _tiers.FindSemanticExploringAsync(query, timings.Skips, cancellationToken).ConfigureAwait(false);
            timings.Exploration = exploration;
            timings.SemanticLookup = Stopwatch.GetElapsedTime(t);
            if (hit is not null)
            {
                RecordAnswered(hit.Tier, timings.SemanticLookup);
                timings.ServedBy = hit.Tier;
                return new Prepared(vector, [], FromCache(hit.Answer, new TierReport
                {
                    Tier = AnswerTier.Semantic,
                    Similarity = hit.Similarity,
                    MatchedQuestion = hit.Answer.Question,
                    Embedding = timings.Embedding,
                    SemanticLookup = timings.SemanticLookup,
                    SkippedTiers = timings.Skipped,
                    Total = Stopwatch.GetElapsedTime(start),
                }));
            }
        }

        // 6. The sources: from the retrieval-result tier when a near-identical question retrieved them, else the store.
        t = Stopwatch.GetTimestamp();
        var vectorQuery = new VectorQuery(options.Scope, options.TopK ?? _options.TopK, _options.MinRetrievalScore);
        RetrievalResultCache? retrievals = (options.UseRetrievalCache ?? options.UseCache) && !timings.Unconfirmed ? _tiers.Retrievals : null;
        // Without a chat client the extractive answerer reads the sources: chunks below the minimum score that hold the
        // question's words are rescued for it (a different selection, so a different key).
        bool lexicalRescue = _chat is null;
        string retrievalKey = string.Create(CultureInfo.InvariantCulture, $"{scope.Id}|k={vectorQuery.TopK}|min={vectorQuery.MinScore}{(lexicalRescue ? "|rescue" : "")}");
        IReadOnlyList<ChunkMatch>? sources = retrievals?.Find(retrievalKey, normalized, vector.Span, out _);
        if (sources is not null && !_tiers.Versions.AreCurrent(sources))
        {
            sources = null; // built from a document version that has since changed: a miss
        }

        if (sources is not null)
        {
            timings.RetrievalCached = true;
            RagKitTelemetry.Hits.Add(1, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
            RecordAnswered(RetrievalResultCache.TierName, Stopwatch.GetElapsedTime(t));
        }
        else
        {
            if (retrievals is not null)
            {
                RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(RetrievalResultCache.TierName));
            }

            sources = lexicalRescue
                ? await ExtractiveSources.SearchAsync(_store, vector, vectorQuery, normalized, cancellationToken).ConfigureAwait(false)
                : await _store.SearchAsync(vector, vectorQuery, cancellationToken).ConfigureAwait(false);
            retrievals?.Store(retrievalKey, options.Scope.Tenant, options.Scope.Collection, normalized, vector.Span, sources);
        }

        timings.Retrieval = Stopwatch.GetElapsedTime(t);
        foreach (ChunkMatch m in sources)
        {
            _tiers.Versions.Learn(m.Document, m.DocumentHash);
        }

        return new Prepared(vector, sources, null);
    }

    private void ValidateQuestion(string question)
    {
        if (question is null)
        {
            throw new ArgumentNullException(nameof(question), "The question must not be null.");
        }

        if (string.IsNullOrWhiteSpace(question))
        {
            throw new ArgumentException("The question must not be empty or whitespace.", nameof(question));
        }

        if (question.Length > _options.MaxQuestionLength)
        {
            throw new ArgumentException($"The question is {question.Length} characters long; the limit is {_options.MaxQuestionLength} (RagKitOptions.MaxQuestionLength).", nameof(question));
        }

        TextValidation.ThrowIfInvalidUtf16(question, nameof(question), "The question");
    }

    /// <summary>The start of a text for an error message.</summary>
    private static string Abbreviate(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
