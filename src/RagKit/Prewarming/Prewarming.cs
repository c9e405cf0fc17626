using RagKit.Caching;

namespace RagKit.Prewarming;

/// <summary>Fills the caches of a pipeline ahead of demand. Run one at startup (in the background) or as a long-running loop.</summary>
public interface IPrewarmingPolicy
{
    /// <summary>A short name for logs.</summary>
    string Name { get; }

    /// <summary>Runs the policy against <paramref name="pipeline"/> until done or cancelled.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    Task RunAsync(IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>Progress of a prewarming run.</summary>
/// <param name="Completed">Questions warmed (or refreshed) so far.</param>
/// <param name="Failed">Questions that failed; a failure never stops the rest.</param>
/// <param name="Total">Questions planned, when known (refresh-ahead: warmed plus due now).</param>
/// <param name="Question">The question just handled.</param>
/// <param name="Error">The failure for that question, if it failed.</param>
public readonly record struct PrewarmProgress(int Completed, int Failed, int Total, string? Question, Exception? Error = null);

/// <summary>A question and a curated answer to serve for it.</summary>
/// <param name="Question">The question, as users ask it.</param>
/// <param name="Answer">The answer to serve.</param>
/// <param name="SourceDocumentIds">Documents the answer rests on: changing or deleting one invalidates it (optional).</param>
public sealed record FaqEntry(string Question, string Answer, IReadOnlyList<string>? SourceDocumentIds = null);

/// <summary>A pipeline that accepts curated answers into its exact and semantic tiers. Pipelines built by <see cref="RagPipelineBuilder"/> implement it.</summary>
public interface ICuratedAnswerSink
{
    /// <summary>Stores <paramref name="answer"/> for <paramref name="question"/> in every tier of the scope, with provenance marked curated.</summary>
    /// <exception cref="ArgumentException">The question or answer is empty, or a named source document does not exist.</exception>
    Task AddCuratedAnswerAsync(RagScope scope, string question, string answer, IEnumerable<string>? sourceDocumentIds = null, CancellationToken cancellationToken = default);
}

/// <summary>How curated answers are marked.</summary>
public static class CuratedAnswers
{
    /// <summary>The document id every curated answer's provenance names (in the scope's tenant and collection).</summary>
    public const string DocumentId = "ragkit:curated";

    /// <summary>The chunk id of curated provenance entries.</summary>
    public const string ChunkId = "curated";

    /// <summary>The generation cost recorded for curated answers (what cost-aware eviction weighs).</summary>
    public static TimeSpan AssumedCost { get; } = TimeSpan.FromSeconds(1);

    /// <summary>True when the cached answer was curated rather than generated.</summary>
    public static bool IsCurated(CachedAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        foreach (ProvenanceEntry p in answer.Provenance)
        {
            if (p.Document.DocumentId == DocumentId && p.ChunkId == ChunkId)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Settings of <see cref="PrewarmingPolicies.FromQueryLog"/>.</summary>
public sealed class QueryLogPrewarmingOptions
{
    /// <summary>How many of the most frequent normalized questions to ask (default 100).</summary>
    public int TopN { get; set; } = 100;

    /// <summary>Most questions asked per second (default 2); keeps warm-up from starving live traffic.</summary>
    public double QuestionsPerSecond { get; set; } = 2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (TopN <= 0)
        {
            throw new ArgumentException($"{nameof(TopN)} must be positive.", nameof(TopN));
        }

        if (!(QuestionsPerSecond > 0) || double.IsInfinity(QuestionsPerSecond))
        {
            throw new ArgumentException($"{nameof(QuestionsPerSecond)} must be a positive finite number.", nameof(QuestionsPerSecond));
        }
    }
}

/// <summary>Settings of <see cref="PrewarmingPolicies.RefreshAhead"/>.</summary>
public sealed class RefreshAheadOptions
{
    /// <summary>Hits an exact-tier entry needs in its lifetime to be refreshed (default 3).</summary>
    public int MinHits { get; set; } = 3;

    /// <summary>Refresh when the remaining time to live is at most this share of the entry's TTL (default 0.2).</summary>
    public double RefreshWithin { get; set; } = 0.2;

    /// <summary>How often the exact tier is scanned for due entries (default 30 s).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (MinHits < 1)
        {
            throw new ArgumentException($"{nameof(MinHits)} must be at least 1.", nameof(MinHits));
        }

        if (!(RefreshWithin > 0 && RefreshWithin < 1))
        {
            throw new ArgumentException($"{nameof(RefreshWithin)} must be between 0 and 1 (exclusive).", nameof(RefreshWithin));
        }

        if (CheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(CheckInterval)} must be positive.", nameof(CheckInterval));
        }
    }
}

/// <summary>The shipped prewarming policies.</summary>
public static class PrewarmingPolicies
{
    /// <summary>
    /// Asks the <see cref="QueryLogPrewarmingOptions.TopN"/> most frequent questions of a query log (counted after
    /// <see cref="QuestionNormalizer.Normalize(string)"/>) through the pipeline, most frequent first, rate-limited.
    /// </summary>
    public static IPrewarmingPolicy FromQueryLog(IEnumerable<string> queryLog, AskOptions options, QueryLogPrewarmingOptions? settings = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(queryLog);
        ArgumentNullException.ThrowIfNull(options);
        settings ??= new QueryLogPrewarmingOptions();
        settings.Validate();
        return new QueryLogPrewarmingPolicy(queryLog, options, settings.TopN, settings.QuestionsPerSecond, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Inserts curated question and answer pairs directly into the exact and semantic tiers (no generation).</summary>
    public static IPrewarmingPolicy FromFaq(IEnumerable<FaqEntry> entries, RagScope scope)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(scope);
        return new FaqPrewarmingPolicy([.. entries], scope);
    }

    /// <summary>
    /// Until cancelled, regenerates in the background every exact-tier entry hit at least
    /// <see cref="RefreshAheadOptions.MinHits"/> times that nears the end of its TTL, so hot questions never miss.
    /// </summary>
    public static IPrewarmingPolicy RefreshAhead(RefreshAheadOptions? settings = null, TimeProvider? timeProvider = null)
    {
        settings ??= new RefreshAheadOptions();
        settings.Validate();
        return new RefreshAheadPolicy(settings.MinHits, settings.RefreshWithin, settings.CheckInterval, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Starts <paramref name="policy"/> on the thread pool and returns its task (observe it for cancellation or failure).</summary>
    public static Task RunInBackground(this IPrewarmingPolicy policy, IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(pipeline);
        return Task.Run(() => policy.RunAsync(pipeline, progress, cancellationToken), cancellationToken);
    }
}

internal sealed class QueryLogPrewarmingPolicy(IEnumerable<string> log, AskOptions options, int topN, double perSecond, TimeProvider time) : IPrewarmingPolicy
{
    public string Name => "query-log";

    public async Task RunAsync(IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var counts = new Dictionary<string, (int Count, string Original)>(StringComparer.Ordinal);
        foreach (string q in log)
        {
            if (string.IsNullOrWhiteSpace(q))
            {
                continue;
            }

            string n = QuestionNormalizer.Normalize(q);
            counts[n] = counts.TryGetValue(n, out var c) ? (c.Count + 1, c.Original) : (1, q);
        }

        var top = counts.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(topN).Select(kv => kv.Value.Original).ToList();

        // One permit per 1/rate seconds, no burst: the first question goes at once.
        TimeSpan interval = TimeSpan.FromSeconds(1 / perSecond);
        int completed = 0, failed = 0;
        DateTimeOffset next = time.GetUtcNow();
        foreach (string question in top)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan wait = next - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }

            next = time.GetUtcNow() + interval;
            Exception? error = null;
            try
            {
                await pipeline.AskAsync(question, options, cancellationToken).ConfigureAwait(false);
                completed++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failed++;
                error = ex;
            }

            progress?.Report(new PrewarmProgress(completed, failed, top.Count, question, error));
        }
    }
}

internal sealed class FaqPrewarmingPolicy(IReadOnlyList<FaqEntry> entries, RagScope scope) : IPrewarmingPolicy
{
    public string Name => "faq";

    public async Task RunAsync(IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (pipeline is not ICuratedAnswerSink sink)
        {
            throw new ArgumentException("The pipeline does not accept curated answers (it does not implement ICuratedAnswerSink).", nameof(pipeline));
        }

        int completed = 0, failed = 0;
        foreach (FaqEntry e in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Exception? error = null;
            try
            {
                await sink.AddCuratedAnswerAsync(scope, e.Question, e.Answer, e.SourceDocumentIds, cancellationToken).ConfigureAwait(false);
                completed++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failed++;
                error = ex;
            }

            progress?.Report(new PrewarmProgress(completed, failed, entries.Count, e.Question, error));
        }
    }
}

internal sealed class RefreshAheadPolicy(int minHits, double within, TimeSpan interval, TimeProvider time) : IPrewarmingPolicy
{
    public string Name => "refresh-ahead";

    public async Task RunAsync(IRagPipeline pipeline, IProgress<PrewarmProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (pipeline is not IRefreshAheadSource rag)
        {
            throw new ArgumentException("Refresh-ahead needs a pipeline that implements IRefreshAheadSource (pipelines built by RagPipelineBuilder do; a decorator forwards it).", nameof(pipeline));
        }

        int completed = 0, failed = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyList<RefreshCandidate> due = rag.GetRefreshCandidates(minHits, within);
            foreach (RefreshCandidate entry in due)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Exception? error = null;
                try
                {
                    if (await rag.RefreshAsync(entry, cancellationToken).ConfigureAwait(false))
                    {
                        completed++;
                    }
                    else
                    {
                        failed++;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failed++;
                    error = ex;
                }

                progress?.Report(new PrewarmProgress(completed, failed, completed + failed, entry.Question, error));
            }

            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
