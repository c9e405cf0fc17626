using Microsoft.Extensions.Caching.Distributed;
using RagKit.Caching;

namespace RagKit.Redis;

/// <summary>Creates a shared exact tier over any <see cref="IDistributedCache"/>.</summary>
public static class DistributedExactAnswerCache
{
    /// <summary>The tier's name in reports, logs and metrics.</summary>
    public const string TierName = "shared-exact";

    /// <summary>
    /// Wraps <paramref name="cache"/> as an exact tier shared by every instance using the same store. Document invalidation
    /// works through per-document epochs stored in the same cache: an entry remembers the epochs of its sources and is a
    /// miss (and removed) once one of them moved.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="keyPrefix"/> is empty or <paramref name="maxValueBytes"/> is not positive.</exception>
    public static IExactAnswerCache Create(IDistributedCache cache, string keyPrefix = "ragkit", int maxValueBytes = 256 * 1024, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (string.IsNullOrWhiteSpace(keyPrefix))
        {
            throw new ArgumentException("The key prefix must not be empty.", nameof(keyPrefix));
        }

        if (maxValueBytes <= 0)
        {
            throw new ArgumentException("The value size limit must be positive.", nameof(maxValueBytes));
        }

        return new DistributedExactTier(cache, keyPrefix, maxValueBytes, timeProvider ?? TimeProvider.System, null);
    }
}

internal sealed class DistributedExactTier : IExactAnswerCache
{
    private static readonly DistributedCacheEntryOptions EpochLifetime = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(30) };
    private readonly IDistributedCache _cache;
    private readonly string _prefix;
    private readonly int _maxBytes;
    private readonly TimeProvider _time;
    private readonly CircuitBreaker? _breaker;

    public DistributedExactTier(IDistributedCache cache, string prefix, int maxBytes, TimeProvider time, CircuitBreaker? breaker)
    {
        _cache = cache;
        _prefix = prefix;
        _maxBytes = maxBytes;
        _time = time;
        _breaker = breaker;
    }

    public string Name => DistributedExactAnswerCache.TierName;

    private string EntryKey(ScopeKey scope, string question) => $"{_prefix}:x:{EntryCodec.Hex(scope.Hash)}:{EntryCodec.Hex(EntryCodec.Hash(question))}";

    private string EpochKey(DocumentKey d) => $"{_prefix}:xd:{EntryCodec.DocumentHex(d)}";

    public async ValueTask<CachedAnswer?> GetAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        string key = EntryKey(scope, question);
        byte[]? bytes = await GuardAsync(() => _cache.GetAsync(key, cancellationToken)).ConfigureAwait(false);
        if (bytes is null)
        {
            return null;
        }

        Dictionary<string, string>? epochs = null;
        CachedAnswer? answer = bytes.Length > _maxBytes ? null : EntryCodec.TryDecodeAnswer(bytes, out epochs);
        if (answer is null)
        {
            await GuardAsync(async () => { await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false); return true; }).ConfigureAwait(false);
            return null;
        }

        if (!string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal) || !string.Equals(answer.Question, question, StringComparison.Ordinal)
            || answer.ExpiresAt <= _time.GetUtcNow())
        {
            return null;
        }

        Dictionary<string, string> current = await ReadEpochsAsync(answer, cancellationToken).ConfigureAwait(false);
        foreach ((string doc, string epoch) in current)
        {
            if (epochs is null || !epochs.TryGetValue(doc, out string? seen) || !string.Equals(seen, epoch, StringComparison.Ordinal))
            {
                await GuardAsync(async () => { await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false); return true; }).ConfigureAwait(false);
                return null;
            }
        }

        return answer;
    }

    public async ValueTask SetAsync(ScopeKey scope, CachedAnswer answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.ExpiresAt <= _time.GetUtcNow())
        {
            return;
        }

        Dictionary<string, string> epochs = await ReadEpochsAsync(answer, cancellationToken).ConfigureAwait(false);
        byte[] bytes = EntryCodec.EncodeAnswer(answer, epochs);
        if (bytes.Length > _maxBytes)
        {
            return;
        }

        await GuardAsync(async () =>
        {
            await _cache.SetAsync(EntryKey(scope, answer.Question), bytes, new DistributedCacheEntryOptions { AbsoluteExpiration = answer.ExpiresAt }, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    public async ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        string key = EntryKey(scope, question);
        byte[]? existing = await GuardAsync(() => _cache.GetAsync(key, cancellationToken)).ConfigureAwait(false);
        if (existing is null)
        {
            return 0;
        }

        await GuardAsync(async () => { await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        return 1;
    }

    public async ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        foreach (DocumentKey d in documents.Distinct())
        {
            byte[] epoch = Guid.NewGuid().ToByteArray();
            await GuardAsync(async () => { await _cache.SetAsync(EpochKey(d), epoch, EpochLifetime, cancellationToken).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        }

        return 0; // entries are found stale when read; their number is not known here
    }

    private async Task<Dictionary<string, string>> ReadEpochsAsync(CachedAnswer answer, CancellationToken cancellationToken)
    {
        string[] docs = answer.Provenance.Select(p => EntryCodec.DocumentHex(p.Document)).Distinct(StringComparer.Ordinal).ToArray();
        var result = new Dictionary<string, string>(docs.Length, StringComparer.Ordinal);
        if (docs.Length == 0)
        {
            return result;
        }

        byte[]?[] epochs = await GuardAsync(() => Task.WhenAll(docs.Select(d => _cache.GetAsync($"{_prefix}:xd:{d}", cancellationToken)))).ConfigureAwait(false);
        for (int i = 0; i < docs.Length; i++)
        {
            result[docs[i]] = epochs[i] is null ? string.Empty : Convert.ToHexString(epochs[i]!);
        }

        return result;
    }

    private async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        if (_breaker is null)
        {
            return await operation().ConfigureAwait(false);
        }

        if (!_breaker.TryEnter())
        {
            throw new RedisTierUnavailableException();
        }

        try
        {
            T result = await operation().ConfigureAwait(false);
            _breaker.Success();
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _breaker.Failure();
            throw;
        }
    }
}
