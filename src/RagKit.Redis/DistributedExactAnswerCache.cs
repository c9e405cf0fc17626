using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagKit.Caching;
using RagKit.Diagnostics;

namespace RagKit.Redis;

/// <summary>Creates a shared exact tier over any <see cref="IDistributedCache"/>.</summary>
public static class DistributedExactAnswerCache
{
    /// <summary>The tier's name in reports, logs and metrics.</summary>
    public const string TierName = TierNames.SharedExact;

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
    private readonly TimeSpan? _operationTimeout;
    private readonly ILogger _log;

    public DistributedExactTier(IDistributedCache cache, string prefix, int maxBytes, TimeProvider time, CircuitBreaker? breaker, TimeSpan? operationTimeout = null, ILogger? logger = null)
    {
        _cache = cache;
        _prefix = prefix;
        _maxBytes = maxBytes;
        _time = time;
        _breaker = breaker;
        _operationTimeout = operationTimeout;
        _log = logger ?? NullLogger.Instance;
    }

    public string Name => DistributedExactAnswerCache.TierName;

    private string EntryKey(ScopeKey scope, string question) => $"{_prefix}:x:{EntryCodec.Hex(scope.Hash)}:{EntryCodec.Hex(EntryCodec.Hash(question))}";

    private string EpochKey(DocumentKey d) => $"{_prefix}:xd:{EntryCodec.DocumentHex(d)}";

    public async ValueTask<CachedAnswer?> GetAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        string key = EntryKey(scope, question);
        byte[]? bytes;
        try
        {
            bytes = await GuardAsync(() => _cache.GetAsync(key, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFaults.IsCorruptData(ex))
        {
            // Another type under the key, or fields that do not parse: a miss, and removed (the store answered, so
            // it is no tier failure and does not count toward the breaker).
            Log.CorruptEntry(_log, key);
            await RemoveKeyAsync(key, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (bytes is null)
        {
            return null;
        }

        Dictionary<string, string>? epochs = null;
        CachedAnswer? answer = bytes.Length > _maxBytes ? null : EntryCodec.TryDecodeAnswer(bytes, out epochs);
        if (answer is null)
        {
            Log.CorruptEntry(_log, key);
            await RemoveKeyAsync(key, cancellationToken).ConfigureAwait(false);
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
                await RemoveKeyAsync(key, cancellationToken).ConfigureAwait(false);
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

        var lifetime = new DistributedCacheEntryOptions { AbsoluteExpiration = answer.ExpiresAt };
        await GuardAsync(() => SetReplacingPoisonedAsync(EntryKey(scope, answer.Question), bytes, lifetime, cancellationToken)).ConfigureAwait(false);
    }

    public async ValueTask<int> RemoveAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        string key = EntryKey(scope, question);
        byte[]? existing;
        try
        {
            existing = await GuardAsync(() => _cache.GetAsync(key, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFaults.IsCorruptData(ex))
        {
            existing = null; // no answer was stored under the key, but what is there goes too
            await RemoveKeyAsync(key, cancellationToken).ConfigureAwait(false);
        }

        if (existing is null)
        {
            return 0;
        }

        await RemoveKeyAsync(key, cancellationToken).ConfigureAwait(false);
        return 1;
    }

    public async ValueTask<int> InvalidateDocumentsAsync(IReadOnlyCollection<DocumentKey> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        foreach (DocumentKey d in documents.Distinct())
        {
            byte[] epoch = Guid.NewGuid().ToByteArray();
            await GuardAsync(() => SetReplacingPoisonedAsync(EpochKey(d), epoch, EpochLifetime, cancellationToken)).ConfigureAwait(false);
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

        byte[]?[] epochs = await GuardAsync(() => Task.WhenAll(docs.Select(d => ReadEpochAsync($"{_prefix}:xd:{d}", cancellationToken)))).ConfigureAwait(false);
        for (int i = 0; i < docs.Length; i++)
        {
            result[docs[i]] = epochs[i] is null ? string.Empty : Convert.ToHexString(epochs[i]!);
        }

        return result;
    }

    /// <summary>
    /// One document's epoch. An unreadable epoch key is replaced by a new epoch: that moves the document's epoch, so
    /// every answer recorded under the old one is a miss (never served stale), and invalidation keeps working.
    /// </summary>
    private async Task<byte[]?> ReadEpochAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFaults.IsCorruptData(ex))
        {
            Log.EpochReplaced(_log, key);
            byte[] epoch = Guid.NewGuid().ToByteArray();
            await SetReplacingPoisonedAsync(key, epoch, EpochLifetime, cancellationToken).ConfigureAwait(false);
            return epoch;
        }
    }

    /// <summary>Writes <paramref name="key"/>; a key of another type that refuses the write is deleted and written again.</summary>
    private async Task<bool> SetReplacingPoisonedAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await _cache.SetAsync(key, value, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFaults.IsCorruptData(ex))
        {
            Log.CorruptEntry(_log, key);
            await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
            await _cache.SetAsync(key, value, options, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private Task<bool> RemoveKeyAsync(string key, CancellationToken cancellationToken) =>
        GuardAsync(async () => { await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false); return true; });

    /// <summary>
    /// Runs one store operation within the operation budget behind the breaker. Only an unavailable or slow store
    /// counts as a failure; unusable data is the store answering, and a call cancelled by its caller reports nothing
    /// (a half-open trial gives its slot back).
    /// </summary>
    private async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        long trial = 0;
        if (_breaker is not null && !_breaker.TryEnter(out trial))
        {
            throw new RedisTierUnavailableException();
        }

        bool reported = false;
        try
        {
            Task<T> pending = operation();
            T result = _operationTimeout is { } budget
                ? await pending.WaitAsync(budget, _time).ConfigureAwait(false)
                : await pending.ConfigureAwait(false);
            _breaker?.Success();
            reported = true;
            return result;
        }
        catch (Exception ex) when (RedisFaults.IsCorruptData(ex))
        {
            _breaker?.Success();
            reported = true;
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _breaker?.Failure(trial);
            reported = true;
            throw;
        }
        finally
        {
            if (!reported)
            {
                _breaker?.Abandon(trial);
            }
        }
    }
}
