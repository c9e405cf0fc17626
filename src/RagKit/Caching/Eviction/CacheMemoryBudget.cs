namespace RagKit.Caching;

/// <summary>
/// One byte budget over many caches and scopes (members): each member reports what it holds, and when the sum is over
/// the budget, the member holding the most bytes gives up entries chosen by its own eviction policy until the sum fits.
/// </summary>
/// <remarks>
/// Members report changes as they happen and call <see cref="Enforce"/> after releasing their own locks: enforcing takes
/// one member's lock at a time, so no lock order between members arises.
/// </remarks>
internal sealed class CacheMemoryBudget
{
    private readonly Lock _members = new();
    private readonly Lock _enforcing = new();
    private readonly HashSet<ICacheBudgetMember> _all = new(ReferenceEqualityComparer.Instance);
    private long _bytes;

    public CacheMemoryBudget(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        MaxBytes = maxBytes;
    }

    public long MaxBytes { get; }

    /// <summary>Bytes held by all members together.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public int MemberCount
    {
        get
        {
            lock (_members)
            {
                return _all.Count;
            }
        }
    }

    public void Join(ICacheBudgetMember member)
    {
        lock (_members)
        {
            _all.Add(member);
        }
    }

    /// <summary>The member leaves (it holds nothing any more, or is disposed); what it still reported is given back.</summary>
    public void Leave(ICacheBudgetMember member, long bytesHeld)
    {
        lock (_members)
        {
            if (_all.Remove(member))
            {
                Interlocked.Add(ref _bytes, -bytesHeld);
            }
        }
    }

    /// <summary>A member's holdings changed by <paramref name="delta"/> bytes.</summary>
    public void Add(long delta) => Interlocked.Add(ref _bytes, delta);

    /// <summary>While over budget, the largest member evicts one entry by its policy. Call with no cache lock held.</summary>
    /// <returns>How many entries were evicted.</returns>
    public int Enforce()
    {
        if (Interlocked.Read(ref _bytes) <= MaxBytes)
        {
            return 0;
        }

        int evicted = 0;
        lock (_enforcing)
        {
            while (Interlocked.Read(ref _bytes) > MaxBytes)
            {
                ICacheBudgetMember? largest = null;
                lock (_members)
                {
                    long most = 0;
                    foreach (ICacheBudgetMember m in _all)
                    {
                        long held = m.BudgetBytes;
                        if (held > most)
                        {
                            most = held;
                            largest = m;
                        }
                    }
                }

                if (largest is null || !largest.EvictOne())
                {
                    break;
                }

                evicted++;
            }
        }

        return evicted;
    }
}
