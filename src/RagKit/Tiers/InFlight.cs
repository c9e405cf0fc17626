using System.Collections.Concurrent;

namespace RagKit.Tiers;

/// <summary>
/// In-process single-flight: the first request for a key leads and computes, identical requests meanwhile wait for
/// its result. Front ends decide what a joiner does when the leader fails (retry, or answer on its own).
/// </summary>
/// <typeparam name="T">The shared result.</typeparam>
internal sealed class InFlight<T>
{
    private readonly ConcurrentDictionary<(string Scope, string Question), Task<T>> _running = new();

    /// <summary>
    /// Either the running computation to join (<paramref name="joined"/>), or a lead to complete (the return value);
    /// exactly one of them is non-null.
    /// </summary>
    public TaskCompletionSource<T>? TryLead(string scopeId, string question, out Task<T>? joined)
    {
        var key = (scopeId, question);
        while (true)
        {
            if (_running.TryGetValue(key, out joined))
            {
                return null;
            }

            var lead = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_running.TryAdd(key, lead.Task))
            {
                joined = null;
                return lead;
            }
        }
    }

    /// <summary>Ends a lead: later identical requests compute again (its result is in the cache tiers by then).</summary>
    public void End(string scopeId, string question, TaskCompletionSource<T> lead)
    {
        _running.TryRemove(new KeyValuePair<(string, string), Task<T>>((scopeId, question), lead.Task));
        _ = lead.Task.Exception; // observed: joiners handle a failed leader themselves
    }
}
