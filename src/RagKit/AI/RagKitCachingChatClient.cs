using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using RagKit.Caching;
using RagKit.Tiers;

namespace RagKit.AI;

/// <summary>
/// A delegating <see cref="IChatClient"/> that serves repeated and paraphrased requests from RagKit's tiers, the same
/// <see cref="TierEngine"/> the pipeline runs on: the in-process exact tier keyed on the normalized last user message,
/// the shared exact tiers, then the in-process and shared semantic tiers keyed on its embedding, each shared tier within
/// <see cref="RagKitChatCacheOptions.TierTimeout"/>. Every key carries a scope made of the tenant (see
/// <see cref="RagKitChatCacheOptions.ScopeResolver"/>), a hash of the prior conversation and a hash of the chat options
/// that change the answer (model, temperature, top-p, top-k, max tokens, penalties, seed, stop sequences, response
/// format, tools, instructions). Identical concurrent misses make one call to the inner client (single-flight; across
/// instances too with an <see cref="ISingleFlightCoordinator"/>). Streaming hits replay the cached text as updates;
/// streaming misses pass through and are cached when complete. Truncated responses (finish reason
/// <see cref="ChatFinishReason.Length"/>) and responses with tool calls are not cached.
/// </summary>
public sealed class RagKitCachingChatClient : DelegatingChatClient
{
    /// <summary>The <c>component</c> tag of this front end's metrics.</summary>
    private const string Component = Diagnostics.RagKitTelemetry.ChatComponent;
    private const string ExactTierValue = Diagnostics.TierNames.Exact;
    private const string SemanticTierValue = Diagnostics.TierNames.Semantic;

    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly RagKitChatCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly TierEngine _tiers;
    private readonly InFlight<ChatResponse> _inFlight = new();

    /// <summary>Creates the caching client.</summary>
    /// <param name="innerClient">The client that answers misses.</param>
    /// <param name="embeddingGenerator">Embeds last user messages for the semantic tiers; without one only the exact tiers are used.</param>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="sharedTiers">Shared semantic tiers consulted after the in-process one (for example Redis).</param>
    /// <param name="timeProvider">The clock for TTLs.</param>
    /// <param name="sharedExactTiers">Shared exact tiers consulted after the in-process one (for example Redis).</param>
    /// <param name="singleFlight">Lets concurrent misses on different instances make one call to the inner client.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public RagKitCachingChatClient(
        IChatClient innerClient,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        RagKitChatCacheOptions? options = null,
        IEnumerable<ISemanticAnswerCache>? sharedTiers = null,
        TimeProvider? timeProvider = null,
        IEnumerable<IExactAnswerCache>? sharedExactTiers = null,
        ISingleFlightCoordinator? singleFlight = null)
        : base(innerClient)
    {
        _options = options ?? new RagKitChatCacheOptions();
        _options.Validate();
        _embedder = embeddingGenerator;
        _time = timeProvider ?? TimeProvider.System;
        _tiers = new TierEngine(new TierEngineOptions
        {
            ExactCapacity = _options.ExactCapacity,
            ExactMaxBytes = _options.ExactMaxBytes,
            SemanticCapacityPerScope = _options.SemanticCapacityPerScope,
            SemanticMaxBytesPerScope = _options.SemanticMaxBytesPerScope,
            MaxCacheBytes = _options.MaxCacheBytes,
            EvictionPolicy = _options.EvictionPolicy,
            SemanticMatchRule = _options.SemanticMatchRule,
            SlidingExpiration = _options.SlidingExpiration,
            TierTimeout = _options.TierTimeout,
            SharedExactTiers = sharedExactTiers?.ToArray() ?? [],
            SharedSemanticTiers = sharedTiers?.ToArray() ?? [],
            SingleFlight = singleFlight,
            Component = Component,
            TimeProvider = _time,
        });
    }

    /// <summary>The tiers this client runs on (tests and diagnostics).</summary>
    internal TierEngine Tiers => _tiers;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        if (!TryGetKey(list, options, out ScopeKey scope, out string? question))
        {
            return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }

        // 1. The tiers, in order.
        var skips = new TierSkips();
        (TierHit? hit, ReadOnlyMemory<float> embedding) = await LookupAsync(scope, question, skips, cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            return ToResponse(hit);
        }

        // 2. A miss: one call to the inner client per question in flight; joiners get a copy.
        TaskCompletionSource<ChatResponse>? lead = _inFlight.TryLead(scope.Id, question, out Task<ChatResponse>? running);
        if (lead is null)
        {
            Diagnostics.RagKitTelemetry.SingleFlightJoins.Add(1);
            try
            {
                return Clone(await running!.WaitAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The leader failed or was cancelled: answer this request on its own.
                return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            ChatResponse response = await GenerateOnceAcrossInstancesAsync(list, options, scope, question, embedding, skips, cancellationToken).ConfigureAwait(false);
            lead.TrySetResult(response);
            return response;
        }
        catch (Exception ex)
        {
            lead.TrySetException(ex);
            throw;
        }
        finally
        {
            _inFlight.End(scope.Id, question, lead);
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

        (TierHit? hit, ReadOnlyMemory<float> embedding) = await LookupAsync(scope, question, new TierSkips(), cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            foreach (ChatResponseUpdate u in Replay(hit))
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
            _tiers.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// With a cross-process coordinator, one instance calls the inner client under a lease and the others wait for its
    /// response; without one, or when it fails or is slow (skipped), this instance calls the inner client.
    /// </summary>
    private async Task<ChatResponse> GenerateOnceAcrossInstancesAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, ScopeKey scope, string question, ReadOnlyMemory<float> embedding, TierSkips skips, CancellationToken cancellationToken)
    {
        (bool answered, string? token) = await _tiers.TryAcquireLeaseAsync(scope, question, skips, cancellationToken).ConfigureAwait(false);
        if (answered && token is null)
        {
            (answered, CachedAnswer? waited) = await _tiers.WaitForLeaseholderAsync(scope, question, embedding, skips, cancellationToken).ConfigureAwait(false);
            if (waited is not null)
            {
                return ToResponse(new TierHit(waited, ExactTierValue, 1f));
            }
        }

        CachedAnswer? stored = null;
        try
        {
            long start = Stopwatch.GetTimestamp();
            ChatResponse response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            stored = await StoreAsync(scope, question, embedding, response, Stopwatch.GetElapsedTime(start), cancellationToken).ConfigureAwait(false);
            return response;
        }
        finally
        {
            if (token is not null)
            {
                await _tiers.ReleaseLeaseAsync(scope, question, token, stored).ConfigureAwait(false);
            }
        }
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
        scope = ScopeKey.FromId("chat|" + tenant.Length + ":" + tenant + "|ctx:" + hasher.GetCurrentHashAsUInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
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

    /// <summary>The exact tiers, then (with an embedding generator) the question's embedding and the semantic tiers.</summary>
    private async ValueTask<(TierHit? Hit, ReadOnlyMemory<float> Embedding)> LookupAsync(ScopeKey scope, string question, TierSkips skips, CancellationToken cancellationToken)
    {
        if (!_tiers.CachesServable)
        {
            return (null, await EmbedAsync(question, cancellationToken).ConfigureAwait(false));
        }

        if (_tiers.FindExact(scope, question) is { } exact)
        {
            return (new TierHit(exact, ExactTierValue, 1f), default);
        }

        if (await _tiers.FindSharedExactAsync(scope, question, skips, cancellationToken).ConfigureAwait(false) is { } shared)
        {
            return (shared with { Tier = ExactTierValue }, default);
        }

        ReadOnlyMemory<float> vector = await EmbedAsync(question, cancellationToken).ConfigureAwait(false);
        if (vector.IsEmpty)
        {
            return (null, vector);
        }

        var query = new SemanticQuery(scope, question, vector, _options.SemanticThreshold) { Rule = _options.SemanticMatchRule };
        TierHit? hit = await _tiers.FindSemanticAsync(query, skips, cancellationToken).ConfigureAwait(false);
        return (hit is null ? null : hit with { Tier = SemanticTierValue }, vector);
    }

    private async ValueTask<ReadOnlyMemory<float>> EmbedAsync(string question, CancellationToken cancellationToken)
    {
        if (_embedder is null)
        {
            return default;
        }

        Embedding<float> e = await _embedder.GenerateAsync(question, cancellationToken: cancellationToken).ConfigureAwait(false);
        Internal.EmbeddingValidation.ThrowIfInvalid(e.Vector, _embedder, _ => "the question", 0);
        return e.Vector;
    }

    /// <summary>Stores a complete text response in every tier; returns what was stored (null when it was not cacheable).</summary>
    private async ValueTask<CachedAnswer?> StoreAsync(ScopeKey scope, string question, ReadOnlyMemory<float> embedding, ChatResponse response, TimeSpan cost, CancellationToken cancellationToken)
    {
        if (response.FinishReason == ChatFinishReason.Length
            || response.FinishReason == ChatFinishReason.ToolCalls
            || response.AdditionalProperties?.TryGetValue(RagKitChatCacheOptions.IncompleteProperty, out object? incomplete) == true && incomplete is true
            || response.Messages.Any(m => m.Contents.Any(c => c is not TextContent))
            || string.IsNullOrEmpty(response.Text)
            || !_tiers.CachesServable)
        {
            return null;
        }

        ReadOnlyMemory<float> answerEmbedding = await AnswerEmbeddings.TryEmbedAsync(_embedder, _options.SemanticMatchRule, response.Text, cancellationToken).ConfigureAwait(false);
        return await StoreAnswerAsync(scope, question, embedding, response.Text, answerEmbedding, cost, replace: false, cancellationToken).ConfigureAwait(false);
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
    /// Stores an answer in every tier (the semantic ones only with a question embedding); <paramref name="replace"/> first
    /// removes an answer the in-process semantic tier holds for the same question (imports).
    /// </summary>
    private async ValueTask<CachedAnswer> StoreAnswerAsync(ScopeKey scope, string question, ReadOnlyMemory<float> embedding, string text, ReadOnlyMemory<float> answerEmbedding, TimeSpan cost, bool replace, CancellationToken cancellationToken)
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
        await _tiers.StoreGeneratedAsync(scope, _embedder is null ? default : embedding, answer, sources: null, sameAnswerAs: default, replace, cancellationToken).ConfigureAwait(false);
        return answer;
    }

    private static ChatResponse ToResponse(TierHit hit) => new(new ChatMessage(ChatRole.Assistant, hit.Answer.Text))
    {
        FinishReason = ChatFinishReason.Stop,
        CreatedAt = hit.Answer.CreatedAt,
        AdditionalProperties = new AdditionalPropertiesDictionary
        {
            [RagKitChatCacheOptions.TierProperty] = hit.Tier,
            [RagKitChatCacheOptions.SimilarityProperty] = hit.Similarity,
        },
    };

    private static IEnumerable<ChatResponseUpdate> Replay(TierHit hit)
    {
        foreach (string piece in AnswerReplay.Pieces(hit.Answer.Text))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { CreatedAt = hit.Answer.CreatedAt };
        }

        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            FinishReason = ChatFinishReason.Stop,
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [RagKitChatCacheOptions.TierProperty] = hit.Tier,
                [RagKitChatCacheOptions.SimilarityProperty] = hit.Similarity,
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
