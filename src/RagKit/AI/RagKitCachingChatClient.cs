using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Diagnostics;

namespace RagKit.AI;

/// <summary>
/// A delegating <see cref="IChatClient"/> that serves repeated and paraphrased requests from RagKit's tiers:
/// an in-process exact tier keyed on the normalized last user message, then an in-process semantic tier
/// (and any shared <see cref="ISemanticAnswerCache"/>) keyed on its embedding. Every key carries a scope made of the
/// tenant (see <see cref="RagKitChatCacheOptions.ScopeResolver"/>), a hash of the prior conversation and a hash of the
/// chat options that change the answer (model, temperature, top-p, top-k, max tokens, penalties, seed, stop sequences,
/// response format, tools, instructions). Identical concurrent misses make one call to the inner client (single-flight).
/// Streaming hits replay the cached text as updates; streaming misses pass through and are cached when complete.
/// Truncated responses (finish reason <see cref="ChatFinishReason.Length"/>) and responses with tool calls are not cached.
/// </summary>
public sealed class RagKitCachingChatClient : DelegatingChatClient
{
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly RagKitChatCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ExactAnswerCache _exact;
    private readonly InProcessSemanticCache _semantic;
    private readonly ISemanticAnswerCache[] _shared;
    private readonly ConcurrentDictionary<(ulong Scope, string Question), Task<ChatResponse>> _inFlight = new();

    /// <summary>Creates the caching client.</summary>
    /// <param name="innerClient">The client that answers misses.</param>
    /// <param name="embeddingGenerator">Embeds last user messages for the semantic tier; without one only the exact tier is used.</param>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="sharedTiers">Shared semantic tiers consulted after the in-process one (for example Redis).</param>
    /// <param name="timeProvider">The clock for TTLs.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public RagKitCachingChatClient(
        IChatClient innerClient,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        RagKitChatCacheOptions? options = null,
        IEnumerable<ISemanticAnswerCache>? sharedTiers = null,
        TimeProvider? timeProvider = null)
        : base(innerClient)
    {
        _options = options ?? new RagKitChatCacheOptions();
        _options.Validate();
        _embedder = embeddingGenerator;
        _time = timeProvider ?? TimeProvider.System;
        _exact = new ExactAnswerCache(_options.ExactCapacity, _options.ExactMaxBytes, _options.EvictionPolicy, _time, _options.SlidingExpiration);
        _semantic = new InProcessSemanticCache(_options.SemanticCapacityPerScope, _options.EvictionPolicy, _time, _options.SemanticMatchRule, slidingExpiration: _options.SlidingExpiration, maxBytesPerScope: _options.SemanticMaxBytesPerScope);
        _shared = sharedTiers?.ToArray() ?? [];
        TierWarmUp.Run(_options.EvictionPolicy, _options.SemanticMatchRule, _time);
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        if (!TryGetKey(list, options, out ScopeKey scope, out string? question))
        {
            return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }

        (CachedAnswer? hit, string tier, float similarity, ReadOnlyMemory<float> embedding) = await LookupAsync(scope, question, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            return ToResponse(hit, tier, similarity);
        }

        var key = (scope.Hash, question);
        var leader = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ChatResponse> inFlight = _inFlight.GetOrAdd(key, leader.Task);
        if (inFlight != leader.Task)
        {
            RagKitTelemetry.SingleFlightJoins.Add(1);
            try
            {
                return Clone(await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The leader failed or was cancelled: answer this request on its own.
                return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            long start = Stopwatch.GetTimestamp();
            ChatResponse response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            await StoreAsync(scope, question, embedding, response, Stopwatch.GetElapsedTime(start), cancellationToken).ConfigureAwait(false);
            leader.TrySetResult(response);
            return response;
        }
        catch (Exception ex)
        {
            leader.TrySetException(ex);
            throw;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<(ulong, string), Task<ChatResponse>>(key, leader.Task));
            _ = leader.Task.Exception; // observed: joiners fall back on their own
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        if (!TryGetKey(list, options, out ScopeKey scope, out string? question))
        {
            await foreach (ChatResponseUpdate u in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
            {
                yield return u;
            }

            yield break;
        }

        (CachedAnswer? hit, string tier, float similarity, ReadOnlyMemory<float> embedding) = await LookupAsync(scope, question, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            foreach (ChatResponseUpdate u in Replay(hit, tier, similarity))
            {
                yield return u;
            }

            yield break;
        }

        long start = Stopwatch.GetTimestamp();
        List<ChatResponseUpdate> updates = [];
        await foreach (ChatResponseUpdate u in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(u);
            yield return u;
        }

        await StoreAsync(scope, question, embedding, updates.ToChatResponse(), Stopwatch.GetElapsedTime(start), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _semantic.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool TryGetKey(IReadOnlyList<ChatMessage> messages, ChatOptions? options, out ScopeKey scope, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? question)
    {
        scope = default;
        question = null;
        if (messages.Count == 0 || messages[^1].Role != ChatRole.User)
        {
            return false;
        }

        string text = messages[^1].Text;
        if (string.IsNullOrWhiteSpace(text) || messages[^1].Contents.Any(c => c is not TextContent))
        {
            return false;
        }

        question = QuestionNormalizer.Normalize(text);
        string tenant = _options.ScopeResolver?.Invoke(options)
            ?? (options?.AdditionalProperties?.TryGetValue(RagKitChatCacheOptions.TenantProperty, out object? t) == true ? t?.ToString() : null)
            ?? "default";

        var hasher = new XxHash3();
        for (int i = 0; i < messages.Count - 1; i++)
        {
            AppendField(hasher, messages[i].Role.Value);
            AppendField(hasher, messages[i].Text);
            foreach (AIContent c in messages[i].Contents)
            {
                AppendField(hasher, c.GetType().Name);
            }
        }

        AppendField(hasher, "|options|");
        if (options is not null)
        {
            AppendField(hasher, options.ModelId);
            AppendField(hasher, options.Instructions);
            AppendField(hasher, options.Temperature?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.TopP?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.TopK?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.MaxOutputTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.FrequencyPenalty?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.PresencePenalty?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AppendField(hasher, options.ResponseFormat?.GetType().Name);
            AppendField(hasher, options.StopSequences is null ? null : string.Join('\u001f', options.StopSequences));
            AppendField(hasher, options.Tools is null ? null : string.Join('\u001f', options.Tools.Select(t => t.Name)));
        }

        AppendField(hasher, (GetService(typeof(ChatClientMetadata)) as ChatClientMetadata)?.DefaultModelId);
        string id = "chat|" + tenant.Length + ":" + tenant + "|ctx:" + hasher.GetCurrentHashAsUInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        scope = new ScopeKey(id, XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(id)));
        return true;
    }

    private static void AppendField(XxHash3 hasher, string? value)
    {
        value ??= "\u0000null";
        Span<byte> len = stackalloc byte[4];
        BitConverter.TryWriteBytes(len, value.Length);
        hasher.Append(len);
        hasher.Append(Encoding.UTF8.GetBytes(value));
    }

    private async ValueTask<(CachedAnswer? Hit, string Tier, float Similarity, ReadOnlyMemory<float> Embedding)> LookupAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        KeyValuePair<string, object?> component = new("component", "chat");
        CachedAnswer? exact = _exact.TryGet(scope, question);
        if (exact is not null)
        {
            RagKitTelemetry.Hits.Add(1, RagKitTelemetry.Tier(ExactAnswerCache.TierName), component);
            return (exact, "exact", 1f, default);
        }

        RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(ExactAnswerCache.TierName), component);
        if (_embedder is null)
        {
            return (null, string.Empty, 0f, default);
        }

        Embedding<float> e = await _embedder.GenerateAsync(question, cancellationToken: cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<float> vector = e.Vector;
        Internal.EmbeddingValidation.ThrowIfInvalid(vector, _embedder, _ => "the question", 0);
        var query = new SemanticQuery(scope, question, vector, _options.SemanticThreshold) { Rule = _options.SemanticMatchRule };
        SemanticCacheHit? hit = await _semantic.FindAsync(query, cancellationToken).ConfigureAwait(false);
        if (hit is null)
        {
            foreach (ISemanticAnswerCache tier in _shared)
            {
                try
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    cts.CancelAfter(_options.TierTimeout);
                    hit = await tier.FindAsync(query, cts.Token).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(tier.Name), new KeyValuePair<string, object?>("reason", "error"), component);
                    continue;
                }

                if (hit is not null)
                {
                    await _semantic.StoreAsync(scope, vector, hit.Answer, cancellationToken).ConfigureAwait(false);
                    break;
                }
            }
        }

        if (hit is null)
        {
            RagKitTelemetry.Misses.Add(1, RagKitTelemetry.Tier(InProcessSemanticCache.TierName), component);
            return (null, string.Empty, 0f, vector);
        }

        RagKitTelemetry.Hits.Add(1, RagKitTelemetry.Tier(InProcessSemanticCache.TierName), component);
        return (hit.Answer, "semantic", hit.Similarity, vector);
    }

    private async ValueTask StoreAsync(ScopeKey scope, string question, ReadOnlyMemory<float> embedding, ChatResponse response, TimeSpan cost, CancellationToken cancellationToken)
    {
        if (response.FinishReason == ChatFinishReason.Length
            || response.FinishReason == ChatFinishReason.ToolCalls
            || response.AdditionalProperties?.TryGetValue(RagKitChatCacheOptions.IncompleteProperty, out object? incomplete) == true && incomplete is true
            || response.Messages.Any(m => m.Contents.Any(c => c is not TextContent))
            || string.IsNullOrEmpty(response.Text))
        {
            return;
        }

        ReadOnlyMemory<float> answerEmbedding = await AnswerEmbeddings.TryEmbedAsync(_embedder, _options.SemanticMatchRule, response.Text, cancellationToken).ConfigureAwait(false);
        await StoreAnswerAsync(scope, question, embedding, response.Text, answerEmbedding, cost, replace: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Imports known question and answer pairs (an FAQ, a reviewed log) into the tiers, as if each question had been asked
    /// as the only user message with <paramref name="options"/> and answered with its answer: a later request with the
    /// same options (tenant, model, ...) and a matching or paraphrased question is served from them. A question imported
    /// again replaces its answer. Questions are embedded in batches when an embedding generator is configured; without
    /// one, only the exact tier receives them.
    /// </summary>
    /// <param name="pairs">Question (key) and answer (value) pairs; neither may be null, empty or white space.</param>
    /// <param name="options">The chat options later requests will carry; they are part of the scope, as for a request.</param>
    /// <param name="cancellationToken">Cancels the import; pairs stored so far stay.</param>
    /// <returns>How many pairs were stored.</returns>
    /// <exception cref="ArgumentException">A question or answer is null, empty or white space (nothing is imported).</exception>
    public async Task<int> ImportAsync(IEnumerable<KeyValuePair<string, string>> pairs, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        KeyValuePair<string, string>[] all = [.. pairs];
        for (int i = 0; i < all.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(all[i].Key) || string.IsNullOrWhiteSpace(all[i].Value))
            {
                throw new ArgumentException($"Pair {i} has an empty question or answer; nothing was imported.", nameof(pairs));
            }
        }

        int stored = 0;
        for (int start = 0; start < all.Length; start += ImportBatchSize)
        {
            var batch = new ArraySegment<KeyValuePair<string, string>>(all, start, Math.Min(ImportBatchSize, all.Length - start));
            var scopes = new ScopeKey[batch.Count];
            var questions = new string[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                _ = TryGetKey([new ChatMessage(ChatRole.User, batch[i].Key)], options, out scopes[i], out questions[i]!);
            }

            GeneratedEmbeddings<Embedding<float>>? questionVectors = null;
            GeneratedEmbeddings<Embedding<float>>? answerVectors = null;
            if (_embedder is not null)
            {
                questionVectors = await _embedder.GenerateAsync(questions, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (NeighbourhoodMatchRule.AnswerSimilarityOf(_options.SemanticMatchRule) > 0)
                {
                    answerVectors = await _embedder.GenerateAsync(batch.Select(p => p.Value), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }

            for (int i = 0; i < batch.Count; i++)
            {
                await StoreAnswerAsync(scopes[i], questions[i], questionVectors?[i].Vector ?? default, batch[i].Value, answerVectors?[i].Vector ?? default, TimeSpan.Zero, replace: true, cancellationToken).ConfigureAwait(false);
                stored++;
            }
        }

        return stored;
    }

    /// <summary>Questions embedded per call when importing.</summary>
    private const int ImportBatchSize = 32;

    /// <summary>
    /// Stores an answer in the exact tier and, with a question embedding, in the semantic tiers; <paramref name="replace"/>
    /// first removes an answer the in-process semantic tier holds for the same question (imports).
    /// </summary>
    private async ValueTask StoreAnswerAsync(ScopeKey scope, string question, ReadOnlyMemory<float> embedding, string text, ReadOnlyMemory<float> answerEmbedding, TimeSpan cost, bool replace, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var answer = new CachedAnswer
        {
            Question = question,
            ScopeId = scope.Id,
            Text = text,
            Citations = [],
            Provenance = [],
            GenerationCost = cost,
            CreatedAt = now,
            ExpiresAt = now + _options.Ttl,
            AnswerEmbedding = answerEmbedding,
        };
        bool replaced = replace && _exact.TryGet(scope, question) is not null;
        _exact.Set(scope, answer);
        if (_embedder is null || embedding.IsEmpty)
        {
            return;
        }

        if (replaced)
        {
            await _semantic.RemoveAsync(scope, question, cancellationToken).ConfigureAwait(false);
        }

        await _semantic.StoreAsync(scope, embedding, answer, cancellationToken).ConfigureAwait(false);
        foreach (ISemanticAnswerCache tier in _shared)
        {
            try
            {
                await tier.StoreAsync(scope, embedding, answer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                RagKitTelemetry.TierSkips.Add(1, RagKitTelemetry.Tier(tier.Name), new KeyValuePair<string, object?>("reason", "error"), new KeyValuePair<string, object?>("component", "chat"));
            }
        }
    }

    private static ChatResponse ToResponse(CachedAnswer hit, string tier, float similarity)
    {
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, hit.Text))
        {
            FinishReason = ChatFinishReason.Stop,
            CreatedAt = hit.CreatedAt,
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [RagKitChatCacheOptions.TierProperty] = tier,
                [RagKitChatCacheOptions.SimilarityProperty] = similarity,
            },
        };
        return response;
    }

    private static IEnumerable<ChatResponseUpdate> Replay(CachedAnswer hit, string tier, float similarity)
    {
        string text = hit.Text;
        int start = 0;
        while (start < text.Length)
        {
            int next = start + 1 < text.Length ? text.IndexOf(' ', start + 1) : -1;
            int end = next < 0 ? text.Length : next;
            yield return new ChatResponseUpdate(ChatRole.Assistant, text[start..end]) { CreatedAt = hit.CreatedAt };
            start = end;
        }

        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            FinishReason = ChatFinishReason.Stop,
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [RagKitChatCacheOptions.TierProperty] = tier,
                [RagKitChatCacheOptions.SimilarityProperty] = similarity,
            },
        };
    }

    private static ChatResponse Clone(ChatResponse response) => new(response.Messages.Select(m => m.Clone()).ToList())
    {
        FinishReason = response.FinishReason,
        ModelId = response.ModelId,
        CreatedAt = response.CreatedAt,
        Usage = response.Usage,
        AdditionalProperties = response.AdditionalProperties is null ? null : new AdditionalPropertiesDictionary(response.AdditionalProperties),
    };
}
