using RagKit.Caching;
using StackExchange.Redis;

namespace RagKit.Redis;

/// <summary>
/// Distributed single-flight: <c>SET lease token NX PX</c> elects one generator per (scope, question); the others poll
/// for its published answer. A holder that dies stops renewing nothing: its lease simply expires and a waiter takes over.
/// The lease and result keys share a hash tag, so one script polls both on Redis Cluster. A lease RagKit did not write
/// (no expiry, or one beyond <see cref="RedisSemanticCacheOptions.SingleFlightLease"/>) is deleted by that poll, so no
/// waiter is held longer than one lease.
/// </summary>
internal sealed class RedisSingleFlight : ISingleFlightCoordinator
{
    private const string ReleaseScript =
        "if redis.call('type', KEYS[1])['ok'] == 'string' and redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    // One poll: the published result (a result key of another type is deleted) and the lease's PTTL. A lease that
    // RagKit did not write (no expiry, or one beyond the lease length) would make waiters wait for good: it is deleted
    // in the same step, and the waiter takes over. Returns { pttl as read, result or nil, 1 if the lease was deleted }.
    private const string PollScript = """
        local r = false
        local t = redis.call('type', KEYS[2])['ok']
        if t == 'string' then r = redis.call('get', KEYS[2]) elseif t ~= 'none' then redis.call('del', KEYS[2]) end
        local ttl = redis.call('pttl', KEYS[1])
        if ttl == -1 or ttl > tonumber(ARGV[1]) then
          redis.call('del', KEYS[1])
          return { ttl, r, 1 }
        end
        return { ttl, r, 0 }
        """;
    private readonly RedisSemanticCacheImpl _cache;

    public RedisSingleFlight(RedisSemanticCacheImpl cache) => _cache = cache;

    internal (RedisKey Lease, RedisKey Result) Keys(ScopeKey scope, string question)
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
        long leaseMs = (long)Math.Ceiling(_cache.Options.SingleFlightLease.TotalMilliseconds);
        while (time.GetUtcNow() < deadline)
        {
            RedisResult[] poll = (RedisResult[])(await _cache.RunAsync(db => db.ScriptEvaluateAsync(PollScript, [lease, result], [leaseMs])).ConfigureAwait(false))!;
            long ttl = (long)poll[0];
            RedisValue value = (RedisValue)poll[1];
            if ((long)poll[2] == 1)
            {
                Log.LeaseWithoutExpiry(_cache.Logger, lease.ToString(), ttl);
            }

            if (!value.IsNull)
            {
                CachedAnswer? answer = EntryCodec.TryDecodeAnswer((byte[])value!, out _);
                return answer is not null && string.Equals(answer.ScopeId, scope.Id, StringComparison.Ordinal) ? answer : null;
            }

            if (ttl == -2 || (long)poll[2] == 1)
            {
                return null; // released without an answer, expired, or not a lease of ours: the caller tries to take over
            }

            await Task.Delay(_cache.Options.SingleFlightPollInterval, time, cancellationToken).ConfigureAwait(false);
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
