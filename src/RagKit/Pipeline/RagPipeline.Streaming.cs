using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using RagKit.AI;
using RagKit.Caching;
using RagKit.Tiers;

namespace RagKit;

/// <summary>Streaming asks: hits replay the cached text word by word, misses stream the generator's updates.</summary>
internal sealed partial class RagPipeline
{
    public async IAsyncEnumerable<AnswerUpdate> AskStreamingAsync(string question, AskOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        ValidateQuestion(question);
        ArgumentNullException.ThrowIfNull(options);
        ScopeKey scope = options.Scope.GetKey(ConversationScope.Stamp(VersionStamp, question, options.ConversationContext, options.DependsOnContext));
        string normalized = QuestionNormalizer.Normalize(question);

        RagAnswer? ready = null;
        if (options.UseCache && _tiers.CachesServable && _tiers.FindExactAsAsked(scope, question) is { } hit)
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            RecordAnswered(ExactAnswerCache.TierName, elapsed);
            ready = FromCache(hit, new TierReport { Tier = AnswerTier.Exact, ExactLookup = elapsed, Total = elapsed });
        }

        TaskCompletionSource<RagAnswer>? flight = null;
        while (ready is null && options.UseCache)
        {
            flight = _inFlight.TryLead(scope.Id, normalized, out Task<RagAnswer>? running);
            if (flight is not null)
            {
                break;
            }

            ready = await JoinAsync(running!, start, cancellationToken).ConfigureAwait(false);
        }

        if (ready is not null)
        {
            foreach (string piece in AnswerReplay.Pieces(ready.Text))
            {
                yield return new AnswerUpdate(piece, null);
            }

            yield return new AnswerUpdate(string.Empty, ready);
            yield break;
        }

        bool completed = false;
        try
        {
            StageTimings timings = NewTimings(options);
            Prepared prepared = await PrepareAsync(normalized, scope, options, timings, start, cancellationToken).ConfigureAwait(false);
            RagAnswer answer;
            if (prepared.CachedHit is not null)
            {
                answer = prepared.CachedHit;
                foreach (string piece in AnswerReplay.Pieces(answer.Text))
                {
                    yield return new AnswerUpdate(piece, null);
                }
            }
            else if (_chat is null || prepared.Sources.Count == 0)
            {
                answer = await GenerateAsync(question, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
                foreach (string piece in AnswerReplay.Pieces(answer.Text))
                {
                    yield return new AnswerUpdate(piece, null);
                }
            }
            else
            {
                long genStart = Stopwatch.GetTimestamp();
                var text = new StringBuilder();
                ChatFinishReason? finish = null;
                bool incomplete = false;
                await foreach (ChatResponseUpdate update in _chat.GetStreamingResponseAsync(_template.Render(question, prepared.Sources), null, cancellationToken).ConfigureAwait(false))
                {
                    finish ??= update.FinishReason;
                    incomplete |= update.AdditionalProperties?.TryGetValue(RagKitChatCacheOptions.IncompleteProperty, out object? v) == true && v is true;
                    string delta = update.Text;
                    if (delta.Length > 0)
                    {
                        text.Append(delta);
                        yield return new AnswerUpdate(delta, null);
                    }
                }

                bool complete = finish != ChatFinishReason.Length && !incomplete;
                timings.Generation = Stopwatch.GetElapsedTime(genStart);
                answer = await CompleteGenerationAsync(text.ToString(), complete, false, normalized, scope, options, prepared, timings, start, cancellationToken).ConfigureAwait(false);
            }

            flight?.TrySetResult(answer);
            completed = true;
            yield return new AnswerUpdate(string.Empty, answer);
        }
        finally
        {
            if (flight is not null)
            {
                if (!completed)
                {
                    // Joiners see cancellation and run the ask themselves.
                    flight.TrySetCanceled(CancellationToken.None);
                }

                _inFlight.End(scope.Id, normalized, flight);
            }
        }
    }
}
