using System.Diagnostics.CodeAnalysis;
using RagKit.Caching;

/// <summary>
/// LIRS (Jiang &amp; Zhang, SIGMETRICS '02) as a reference for the harness only, with 1 % of the capacity for resident
/// HIR blocks (as the paper). Like <see cref="ArcReference"/> it answers "does a well-known policy beat LRU on this
/// cell?"; the victim chosen on a miss is queued and handed out by TryEvict.
/// </summary>
internal sealed class LirsReference : IEvictionPolicy<long>
{
    private readonly int _capacity;
    private readonly int _maxLir;
    private readonly LinkedList<Block> _stack = new();
    private readonly LinkedList<Block> _queue = new();
    private readonly Dictionary<long, Block> _blocks = [];
    private readonly Queue<long> _victims = new();
    private int _lir;
    private int _resident;

    public LirsReference(int capacity)
    {
        _capacity = capacity;
        _maxLir = Math.Max(1, capacity - Math.Max(1, capacity / 100));
    }

    public void OnInserted(long key, EvictionEntryInfo info)
    {
        if (_resident >= _capacity)
        {
            // Miss on a full cache: the resident HIR block at the front of the queue leaves (its stack entry, if any,
            // stays as a non-resident HIR block).
            Block out_ = _queue.First!.Value;
            _queue.RemoveFirst();
            out_.QueueNode = null;
            out_.Resident = false;
            _resident--;
            if (out_.StackNode is null)
            {
                _blocks.Remove(out_.Key);
            }

            _victims.Enqueue(out_.Key);
        }

        _resident++;
        if (_blocks.TryGetValue(key, out Block? b))
        {
            // Non-resident HIR block still in the stack: its reuse distance is short, so it becomes LIR.
            b.Resident = true;
            ToTop(b);
            b.Lir = true;
            _lir++;
            DemoteBottomLir();
            return;
        }

        b = new Block(key) { Resident = true };
        _blocks[key] = b;
        b.StackNode = _stack.AddFirst(b);
        if (_lir < _maxLir)
        {
            b.Lir = true;
            _lir++;
        }
        else
        {
            b.QueueNode = _queue.AddLast(b);
        }
    }

    public void OnAccessed(long key)
    {
        if (!_blocks.TryGetValue(key, out Block? b) || !b.Resident)
        {
            return;
        }

        if (b.Lir)
        {
            bool wasBottom = b.StackNode == _stack.Last;
            ToTop(b);
            if (wasBottom)
            {
                Prune();
            }

            return;
        }

        if (b.StackNode is not null)
        {
            // Resident HIR block in the stack: becomes LIR, the bottom LIR block becomes HIR.
            ToTop(b);
            _queue.Remove(b.QueueNode!);
            b.QueueNode = null;
            b.Lir = true;
            _lir++;
            DemoteBottomLir();
        }
        else
        {
            b.StackNode = _stack.AddFirst(b);
            _queue.Remove(b.QueueNode!);
            b.QueueNode = _queue.AddLast(b);
        }
    }

    public void OnRemoved(long key) => throw new NotSupportedException("reference policy: the harness never removes");

    public bool TryEvict([MaybeNullWhen(false)] out long victim) => _victims.TryDequeue(out victim);

    private void ToTop(Block b)
    {
        if (b.StackNode is not null)
        {
            _stack.Remove(b.StackNode);
        }

        b.StackNode = _stack.AddFirst(b);
    }

    private void DemoteBottomLir()
    {
        if (_lir <= _maxLir)
        {
            return;
        }

        Block bottom = _stack.Last!.Value;
        _stack.RemoveLast();
        bottom.StackNode = null;
        bottom.Lir = false;
        _lir--;
        bottom.QueueNode = _queue.AddLast(bottom);
        Prune();
    }

    // Stack pruning: HIR blocks at the bottom leave the stack, so the bottom is always an LIR block.
    private void Prune()
    {
        while (_stack.Last is { } last && !last.Value.Lir)
        {
            Block b = last.Value;
            _stack.RemoveLast();
            b.StackNode = null;
            if (!b.Resident)
            {
                _blocks.Remove(b.Key);
            }
        }
    }

    private sealed class Block(long key)
    {
        public long Key { get; } = key;

        public bool Lir { get; set; }

        public bool Resident { get; set; }

        public LinkedListNode<Block>? StackNode { get; set; }

        public LinkedListNode<Block>? QueueNode { get; set; }
    }
}
