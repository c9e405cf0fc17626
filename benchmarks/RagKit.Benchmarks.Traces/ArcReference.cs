using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;

/// <summary>
/// ARC (Megiddo &amp; Modha, FAST '03) as a reference for the harness only: it answers "does a well-known adaptive
/// policy beat LRU on this cell?" It is not a RagKit policy (the cache calls TryEvict after OnInserted, so the victims
/// ARC's REPLACE chooses on a miss are queued and handed out by TryEvict).
/// </summary>
internal sealed class ArcReference(int capacity) : IEvictionPolicy<long>
{
    private const int T1 = 0, T2 = 1, B1 = 2, B2 = 3;
    private readonly LinkedList<long>[] _lists = [new(), new(), new(), new()];
    private readonly Dictionary<long, (LinkedListNode<long> Node, int List)> _where = [];
    private readonly Queue<long> _victims = new();
    private double _p;

    public void OnInserted(long key, EvictionEntryInfo info)
    {
        int c = capacity;
        if (_where.TryGetValue(key, out var at) && (at.List == B1 || at.List == B2))
        {
            int b1 = _lists[B1].Count, b2 = _lists[B2].Count;
            _p = at.List == B1 ? Math.Min(c, _p + Math.Max((double)b2 / b1, 1)) : Math.Max(0, _p - Math.Max((double)b1 / b2, 1));
            Replace(inB2: at.List == B2);
            Move(key, at.Node, T2);
            return;
        }

        int l1 = _lists[T1].Count + _lists[B1].Count;
        int total = l1 + _lists[T2].Count + _lists[B2].Count;
        if (l1 == c)
        {
            if (_lists[T1].Count < c)
            {
                Drop(B1);
                Replace(inB2: false);
            }
            else
            {
                _victims.Enqueue(Drop(T1));
            }
        }
        else if (total >= c)
        {
            if (total == 2 * c)
            {
                Drop(B2);
            }

            Replace(inB2: false);
        }

        _where[key] = (_lists[T1].AddFirst(key), T1);
    }

    public void OnAccessed(long key)
    {
        if (_where.TryGetValue(key, out var at) && (at.List == T1 || at.List == T2))
        {
            Move(key, at.Node, T2);
        }
    }

    public void OnRemoved(long key)
    {
        if (_where.Remove(key, out var at))
        {
            _lists[at.List].Remove(at.Node);
        }
    }

    public bool TryEvict([MaybeNullWhen(false)] out long victim) => _victims.TryDequeue(out victim);

    private void Replace(bool inB2)
    {
        if (_lists[T1].Count + _lists[T2].Count < capacity)
        {
            return;
        }

        int t1 = _lists[T1].Count;
        int from = t1 >= 1 && (t1 > _p || (inB2 && t1 == (int)_p)) ? T1 : T2;
        long old = _lists[from].Last!.Value;
        _lists[from].RemoveLast();
        _where[old] = (_lists[from == T1 ? B1 : B2].AddFirst(old), from == T1 ? B1 : B2);
        _victims.Enqueue(old);
    }

    private long Drop(int list)
    {
        long old = _lists[list].Last!.Value;
        _lists[list].RemoveLast();
        _where.Remove(old);
        return old;
    }

    private void Move(long key, LinkedListNode<long> node, int to)
    {
        node.List!.Remove(node);
        _where[key] = (_lists[to].AddFirst(key), to);
    }
}
