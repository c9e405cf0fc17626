using System.Diagnostics;
using Microsoft.Extensions.AI;
using RagKit.AI;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Generation;
using RagKit.Retrieval;

namespace RagKit;

/// <summary>Generation on a miss (the chat client, or extractive without one) and the write-back to every tier.</summary>
internal sealed partial class RagPipeline
{
    private async Task<RagAnswer> GenerateAsync(string question, string normalized, ScopeKey scope, AskOptions options, Prepared prepared, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        long t = Stopwatch.GetTimestamp();
        string text;
        bool complete = true;
        bool extractive = _chat is null || prepared.Sources.Count == 0;
        if (extractive)
        {
            ExtractiveAnswer extracted = await ExtractiveAnswerer.AnswerAsync(question, prepared.Vector, prepared.Sources, _embedder, cancellationToken).ConfigureAwait(false);
            text = extracted.Text;
            prepared = prepared with { Sources = extracted.Sources }; // the same sources, cited ones first: [n] is the n-th of them
        }
        else
        {
            ChatResponse response = await _chat!.GetResponseAsync(_template.Render(question, prepared.Sources), null, cancellationToken).ConfigureAwait(false);
            text = response.Text;
            complete = response.FinishReason != ChatFinishReason.Length
                && !(response.AdditionalProperties?.TryGetValue(RagKitChatCacheOptions.IncompleteProperty, out object? v) == true && v is true);
        }

        timings.Generation = Stopwatch.GetElapsedTime(t);
        return await CompleteGenerationAsync(text, complete, extractive, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RagAnswer> CompleteGenerationAsync(string text, bool complete, bool extractive, string normalized, ScopeKey scope, AskOptions options, Prepared prepared, StageTimings timings, long start, CancellationToken cancellationToken)
    {
        RagKitTelemetry.Generations.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Generator, extractive ? RagKitTelemetry.ExtractiveGenerator : RagKitTelemetry.ChatGenerator));
        RagKitTelemetry.GenerationDuration.Record(timings.Generation.TotalMilliseconds);
        IReadOnlyList<ChunkMatch> sources = prepared.Sources;
        List<Citation> citations = CitationParser.Parse(text, sources);

        var answer = new RagAnswer
        {
            Text = text,
            Citations = citations,
            IsExtractive = extractive,
            IsComplete = complete,
            Report = new TierReport
            {
                Tier = AnswerTier.Generated,
                Embedding = timings.Embedding,
                SemanticLookup = timings.SemanticLookup,
                Retrieval = timings.Retrieval,
                RetrievalCached = timings.RetrievalCached,
                Generation = timings.Generation,
                SkippedTiers = timings.Skipped,
                Total = Stopwatch.GetElapsedTime(start),
            },
        };

        RagKitTelemetry.AskDuration.Record(answer.Report.Total.TotalMilliseconds, RagKitTelemetry.Tier(RagKitTelemetry.GeneratedTier));

        bool sameAsExplored = false;
        if (complete && timings.Exploration.IsExplore && _options.AnswerVerifier is { } verifier)
        {
            sameAsExplored = await verifier.SameAnswerAsync(normalized, timings.Exploration.Answer!.Text, text, cancellationToken).ConfigureAwait(false);
            _tiers.LocalSemantic.RecordVerification(timings.Exploration, sameAsExplored);
        }

        // Only complete answers built from sources that are still current are cached (the fence: a source that changed
        // or is being changed while the answer was generated has another version here by now), and only while this
        // instance is caught up with the other instances' changes.
        if (options.UseCache && !timings.Unconfirmed && complete && sources.Count > 0 && _tiers.Versions.AreCurrent(sources) && _tiers.CachesServable)
        {
            DateTimeOffset now = _time.GetUtcNow();
            var cached = new CachedAnswer
            {
                Question = normalized,
                ScopeId = scope.Id,
                Text = text,
                Citations = citations,
                Provenance = sources.Select(s => new ProvenanceEntry(s.Document, s.ChunkId, s.DocumentHash)).ToArray(),
                IsExtractive = extractive,
                GenerationCost = timings.Generation,
                CreatedAt = now,
                ExpiresAt = now + _options.Ttl,
                AnswerEmbedding = await AnswerEmbeddings.TryEmbedAsync(_embedder, _options.SemanticMatchRule, text, cancellationToken).ConfigureAwait(false),
            };
            timings.Cached = cached;
            await _tiers.StoreGeneratedAsync(scope, prepared.Vector, cached, sources, sameAsExplored ? timings.Exploration : default, replace: false, cancellationToken).ConfigureAwait(false);
        }

        return answer;
    }
}
