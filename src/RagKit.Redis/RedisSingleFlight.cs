using RagKit.Caching;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>
/// Distributed single-flight: <c>SET lease token NX PX</c> elects one generator per (scope, question); the others poll
/// for its published answer. A holder that dies stops renewing nothing: its lease simply expires and a waiter takes over.
/// The lease and result keys share a hash tag, so one batch reads both on Redis Cluster.
/// </summary>
internal sealed class RedisSingleFlight : ISingleFlightCoordinator
{
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private readonly RedisSemanticCacheImpl _cache;

    public RedisSingleFlight(RedisSemanticCacheImpl cache) => _cache = cache;

    private (RedisKey Lease, RedisKey Result) Keys(ScopeKey scope, string question)
    {
        string tag = $"{_cache.Options.KeyPrefix}:{{f{EntryCodec.Hex(EntryCodec.Hash(scope.Id + "\n" + question))}}}";
        return (tag + ":lease", tag + ":result");
    }

    public async ValueTask<string?> TryAcquireAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        (RedisKey lease, _) = Keys(scope, question);
        string token = Guid.NewGuid().ToString("N");
        bool acquired = await _cache.RunAsync(db => db.StringSetAsync(lease, token, _cache.Options.SingleFlightLease, When.NotExists)).ConfigureAwait(false);
        return acquired ? token : null;
    }

    public async ValueTask<CachedAnswer?> WaitForAnswerAsync(ScopeKey scope, string question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        (RedisKey lease, RedisKey result) = Keys(scope, question);
        TimeProvider time = _cache.Options.TimeProvider;
        DateTimeOffset deadline = time.GetUtcNow() + _cache.Options.SingleFlightLease + TimeSpan.FromSeconds(1);
        while (time.GetUtcNow() < deadline)
        {
            (RedisValue value, bool held) = await _cache.RunAsync(async db =>
            {
                IBatch b = db.CreateBatch();
                Task<RedisValue> get = b.StringGetAsync(result);
                Task<bool> exists = b.KeyExistsAsync(lease);
                b.Execute();
                return (await get.ConfigureAwait(false), await exists.ConfigureAwait(false));
            }).ConfigureAwait(false);

            if (!value.IsNull)
            {
                CachedAnswer? answer = EntryCodec.TryDecodeAnswer((byte[])value!, out _);
                return answer is not null && string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal) ? answer : null;
            }

            if (!held)
            {
                return null; // released without an answer, or expired: the caller tries to take over
            }

            await Task.Delay(_cache.Options.SingleFlightPollInterval, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    public async ValueTask ReleaseAsync(ScopeKey scope, string question, string leaseToken, CachedAnswer? answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(leaseToken);
        (RedisKey lease, RedisKey result) = Keys(scope, question);
        byte[]? bytes = answer is null ? null : EntryCodec.EncodeAnswer(answer);
        if (bytes is not null && bytes.Length > _cache.Options.MaxValueBytes)
        {
            bytes = null;
        }

        await _cache.RunAsync(async db =>
        {
            IBatch b = db.CreateBatch();
            var tasks = new List<Task>(2);
            if (bytes is not null)
            {
                tasks.Add(b.StringSetAsync(result, bytes, _cache.Options.SingleFlightLease));
            }

            tasks.Add(b.ScriptEvaluateAsync(ReleaseScript, [lease], [leaseToken]));
            b.Execute();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }
}
