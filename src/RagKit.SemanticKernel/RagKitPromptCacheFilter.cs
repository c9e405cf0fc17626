using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using RagKit.Caching;
using RagKit.Diagnostics;
using RagKit.Tiers;

namespace RagKit.SemanticKernel;

/// <summary>
/// Serves prompt functions from RagKit's tiers, the same <see cref="TierEngine"/> the pipeline and the chat middleware run
/// on (in-process exact and semantic tiers, and the shared tiers registered in the kernel's services, each within its
/// budget). The prompt-render filter looks the request up after rendering and, on a hit, sets
/// <see cref="PromptRenderContext.Result"/> so the model is not called; the function-invocation filter writes fresh
/// results back. Keys are scoped by tenant, function, the other arguments and the execution settings.
/// </summary>
internal sealed class RagKitPromptCacheFilter : IPromptRenderFilter, IFunctionInvocationFilter, IDisposable
{
    internal const string TierMetadataKey = "ragkit.tier";
    internal const string SimilarityMetadataKey = "ragkit.similarity";

    /// <summary>The <c>component</c> tag of this front end's metrics.</summary>
    private const string Component = "semantic-kernel";

    private static readonly AsyncLocal<Pending?> Current = new();
    private readonly RagKitPromptCacheOptions _options;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly TimeProvider _time;
    private readonly TierEngine _tiers;

    public RagKitPromptCacheFilter(
        RagKitPromptCacheOptions options,
        IEmbeddingGenerator<string, Embedding<float>>? embedder,
        TimeProvider? time,
        IEnumerable<IExactAnswerCache>? sharedExactTiers = null,
        IEnumerable<ISemanticAnswerCache>? sharedSemanticTiers = null)
    {
        options.Validate();
        _options = options;
        _embedder = embedder;
        _time = time ?? TimeProvider.System;
        _tiers = new TierEngine(new TierEngineOptions
        {
            ExactCapacity = options.ExactCapacity,
            ExactMaxBytes = options.ExactMaxBytes,
            SemanticCapacityPerScope = options.SemanticCapacityPerScope,
            SemanticMaxBytesPerScope = options.SemanticMaxBytesPerScope,
            MaxCacheBytes = options.MaxCacheBytes,
            EvictionPolicy = options.EvictionPolicy,
            SemanticMatchRule = options.SemanticMatchRule,
            SlidingExpiration = options.SlidingExpiration,
            TierTimeout = options.TierTimeout,
            SharedExactTiers = sharedExactTiers?.ToArray() ?? [],
            SharedSemanticTiers = sharedSemanticTiers?.ToArray() ?? [],
            Component = Component,
            TimeProvider = _time,
        });
    }

    public async Task OnPromptRenderAsync(PromptRenderContext context, Func<PromptRenderContext, Task> next)
    {
        await next(context).ConfigureAwait(false);
        if (context.RenderedPrompt is null || !(_options.Filter?.Invoke(context.Function) ?? true))
        {
            return;
        }

        ScopeKey scope = GetScope(context.Function, context.Arguments);
        string source = context.Arguments.TryGetValue(_options.QuestionArgument, out object? q) && q?.ToString() is { Length: > 0 } question
            ? question
            : context.RenderedPrompt;
        string normalized = QuestionNormalizer.Normalize(source);
        var pending = Current.Value;

        // The tiers in order: exact (in-process, then shared), then with an embedding generator the semantic ones.
        TierHit? hit = null;
        ReadOnlyMemory<float> vector = default;
        var skips = new TierSkips();
        if (_tiers.CachesServable)
        {
            hit = _tiers.FindExact(scope, normalized) is { } exact ? new TierHit(exact, TierNames.Exact, 1f)
                : await _tiers.FindSharedExactAsync(scope, normalized, skips, context.CancellationToken).ConfigureAwait(false) is { } shared ? shared with { Tier = TierNames.Exact }
                : null;
            if (hit is null && _embedder is not null)
            {
                vector = (await _embedder.GenerateAsync(normalized, cancellationToken: context.CancellationToken).ConfigureAwait(false)).Vector;
                TierHit? similar = await _tiers.FindSemanticAsync(new SemanticQuery(scope, normalized, vector, _options.SemanticThreshold) { Rule = _options.SemanticMatchRule }, skips, context.CancellationToken).ConfigureAwait(false);
                hit = similar is null ? null : similar with { Tier = TierNames.Semantic };
            }
        }

        if (hit is not null)
        {
            context.Result = new FunctionResult(context.Function, hit.Answer.Text, metadata: new Dictionary<string, object?>
            {
                [TierMetadataKey] = hit.Tier,
                [SimilarityMetadataKey] = hit.Similarity,
            });
            return;
        }

        if (pending is not null)
        {
            pending.Scope = scope;
            pending.Question = normalized;
            pending.Vector = vector;
        }
    }

    public async Task OnFunctionInvocationAsync(Microsoft.SemanticKernel.FunctionInvocationContext context, Func<Microsoft.SemanticKernel.FunctionInvocationContext, Task> next)
    {
        var pending = new Pending();
        Current.Value = pending;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Current.Value = null;
        }

        if (pending.Question is null || context.Result.Metadata?.ContainsKey(TierMetadataKey) == true)
        {
            return;
        }

        string? text = context.Result.ValueType == typeof(string) || context.Result.GetValue<object>() is string
            ? context.Result.GetValue<object>()?.ToString()
            : context.Result.GetValue<object>() is ChatResponse or Microsoft.SemanticKernel.ChatMessageContent ? context.Result.ToString() : null;
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        var answer = new CachedAnswer
        {
            Question = pending.Question,
            ScopeId = pending.Scope.Id,
            Text = text,
            Citations = [],
            Provenance = [],
            CreatedAt = now,
            ExpiresAt = now + _options.Ttl,
        };
        if (_tiers.CachesServable)
        {
            await _tiers.StoreAsync(pending.Scope, pending.Vector, answer, context.CancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _tiers.Dispose();

    private ScopeKey GetScope(KernelFunction function, KernelArguments arguments)
    {
        string tenant = arguments.TryGetValue(_options.TenantArgument, out object? t) && t?.ToString() is { Length: > 0 } s ? s : "default";
        var sb = new StringBuilder("sk|").Append(tenant.Length).Append(':').Append(tenant).Append('|').Append(function.PluginName).Append('.').Append(function.Name);
        var hasher = new XxHash3();
        foreach (var kv in arguments.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (kv.Key == _options.QuestionArgument || kv.Key == _options.TenantArgument)
            {
                continue;
            }

            hasher.Append(Encoding.UTF8.GetBytes(kv.Key + "\u001f" + kv.Value + "\u001e"));
        }

        if (arguments.ExecutionSettings is { } settings)
        {
            foreach (var kv in settings.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                hasher.Append(Encoding.UTF8.GetBytes(kv.Key + "\u001f" + kv.Value.ModelId + "\u001f" + string.Join(",", kv.Value.ExtensionData?.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key + "=" + e.Value) ?? []) + "\u001e"));
            }
        }

        sb.Append("|h:").Append(hasher.GetCurrentHashAsUInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
        return ScopeKey.FromId(sb.ToString());
    }

    private sealed class Pending
    {
        public ScopeKey Scope { get; set; }

        public string? Question { get; set; }

        public ReadOnlyMemory<float> Vector { get; set; }
    }
}
