namespace RagKit.Caching;

/// <summary>Per-entry verification outcomes (vCache-style): similarities at which the entry was verified right, and the highest one at which it was wrong.</summary>
internal sealed class EntryObservations
{
    private const int Capacity = 16;
    private readonly float[] _correct = new float[Capacity];
    private readonly Lock _lock = new();
    private int _count;
    private float _maxWrong = -1f;

    /// <summary>Highest similarity at which the entry's answer was found wrong (verifier or report); -1 when never.</summary>
    public float MaxWrong => Volatile.Read(ref _maxWrong);

    public int CorrectCount => Volatile.Read(ref _count);

    /// <summary>How many verified-correct observations were at or below <paramref name="similarity"/> (monotone: each is evidence for it).</summary>
    public int CorrectAtOrBelow(float similarity)
    {
        int n = Math.Min(Volatile.Read(ref _count), Capacity);
        int c = 0;
        for (int i = 0; i < n; i++)
        {
            if (_correct[i] <= similarity)
            {
                c++;
            }
        }

        return c;
    }

    public void Record(float similarity, bool correct)
    {
        lock (_lock)
        {
            if (!correct)
            {
                if (similarity > _maxWrong)
                {
                    Volatile.Write(ref _maxWrong, similarity);
                }

                return;
            }

            if (_count < Capacity)
            {
                _correct[_count] = similarity;
                Volatile.Write(ref _count, _count + 1);
                return;
            }

            // Full: keep the lowest similarities (the most informative for a monotone estimate).
            int hi = 0;
            for (int i = 1; i < Capacity; i++)
            {
                if (_correct[i] > _correct[hi])
                {
                    hi = i;
                }
            }

            if (similarity < _correct[hi])
            {
                _correct[hi] = similarity;
            }
        }
    }
}
