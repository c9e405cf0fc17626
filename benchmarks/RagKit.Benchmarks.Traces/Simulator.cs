using RagKit.Caching;

internal static class Simulator
{
    public static double Run(long[] keys, int capacity, IEvictionPolicy<long> policy)
{
    var resident = new HashSet<long>(capacity * 2);
    long hits = 0;
    var unit = new EvictionEntryInfo(1, 1);
    foreach (long k in keys)
    {
        if (resident.Contains(k))
        {
            hits++;
            policy.OnAccessed(k);
            continue;
        }

        resident.Add(k);
        policy.OnInserted(k, unit);
        while (resident.Count > capacity && policy.TryEvict(out long victim))
        {
            resident.Remove(victim);
        }
    }

    return (double)hits / keys.Length;
}
}
