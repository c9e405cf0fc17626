namespace RagKit.Benchmarks.Consistency;

/// <summary>
/// When each document version's update (or delete) returned, so an answer can be judged: it is stale when it was built
/// from a version older than one whose update had returned before the ask began. Lateness is measured from that
/// return to the moment the answer was handed back.
/// </summary>
public sealed class VersionLog
{
    private readonly Dictionary<string, List<(int Version, long ReturnedAt)>> _commits = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public void Committed(string document, int version, long returnedAt)
    {
        lock (_lock)
        {
            if (!_commits.TryGetValue(document, out List<(int, long)>? list))
            {
                _commits[document] = list = [];
            }

            list.Add((version, returnedAt));
        }
    }

    /// <summary>The stopwatch ticks by which the answer came late, or null when it is not stale.</summary>
    public long? Lateness(string document, int version, long askStart, long askEnd)
    {
        lock (_lock)
        {
            if (!_commits.TryGetValue(document, out List<(int Version, long ReturnedAt)>? list))
            {
                return null;
            }

            foreach ((int v, long at) in list)
            {
                if (v > version && at < askStart)
                {
                    return askEnd - at;
                }
            }

            return null;
        }
    }
}
