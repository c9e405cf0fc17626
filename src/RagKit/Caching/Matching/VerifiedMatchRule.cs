namespace RagKit.Caching;

/// <summary>
/// vCache-style verified rule (clean-room from the idea of "vCache: Verified Semantic Prompt Caching"): serve only
/// when the estimated probability that the cached answer is wrong at this similarity is at most δ with confidence;
/// otherwise explore (miss, generate, verify, record) when the candidate is above the floor. The estimate combines
/// a global prior — verification outcomes of all entries, binned by similarity (0.01) and neighbourhood class — with
/// the entry's own outcomes under a monotonicity assumption (an entry right at similarity s is right above s; wrong at
/// s, wrong below s). Allocation-free; thread-safe (counters are updated with Interlocked).
/// </summary>
internal sealed class VerifiedMatchRule : IVerifyingMatchRule
{
    /// <summary>Another answer within this similarity of the best candidate makes the neighbourhood ambiguous.</summary>
    public const float AmbiguityMargin = 0.02f;

    private const float BinLow = 0.5f;
    private const int Bins = 50;
    private readonly long[] _correct = new long[Bins * NeighbourhoodClass.Count];
    private readonly long[] _wrong = new long[Bins * NeighbourhoodClass.Count];

    public VerifiedMatchRule(float maxErrorRate, float confidenceZ = 1.0f, int priorStrength = 5, double entryWeight = 4, bool guards = true)
    {
        if (maxErrorRate is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxErrorRate), maxErrorRate, "The error bound must be in (0, 1).");
        }

        MaxErrorRate = maxErrorRate;
        ConfidenceZ = confidenceZ;
        PriorStrength = priorStrength;
        EntryWeight = entryWeight;
        Guards = guards;
    }

    public string Name => Guards ? "verified + guards" : "verified";

    /// <summary>Lowest similarity at which a candidate is considered (explored or, with enough evidence, served). Default 0.80.</summary>
    public float Floor { get; init; } = 0.80f;

    public float CandidateFloor(float threshold) => Math.Min(threshold, Floor);

    /// <summary>Observations (class window plus weighted entry evidence) below which the static threshold decides. Default 20.</summary>
    public double MinEvidence { get; init; } = 20;

    /// <summary>δ: the error probability per served answer the rule aims to stay under.</summary>
    public float MaxErrorRate { get; }

    public float ConfidenceZ { get; }

    public int PriorStrength { get; }

    /// <summary>How many global observations one of the entry's own outcomes is worth.</summary>
    public double EntryWeight { get; }

    /// <summary>
    /// When true (default), the candidates above the floor vote: the answer cluster with the highest summed similarity
    /// is the one considered, and the vote's clarity is the neighbourhood class.
    /// </summary>
    public bool Vote { get; init; } = true;

    /// <summary>When true, lexical guards (<see cref="QuestionGuards"/>) turn a would-be serve into an explore.</summary>
    public bool Guards { get; }

    /// <summary>Verification outcomes recorded so far (all entries).</summary>
    public long Observations
    {
        get
        {
            long n = 0;
            for (int i = 0; i < _correct.Length; i++)
            {
                n += Volatile.Read(ref _correct[i]) + Volatile.Read(ref _wrong[i]);
            }

            return n;
        }
    }

    /// <summary>Without neighbourhood and entry data (seam callers outside the in-process tier): global prior only.</summary>
    public bool Accept(in SemanticMatchCandidate candidate) =>
        Decide(candidate.Question, candidate.CandidateQuestion, candidate.Similarity, candidate.Threshold, candidate.Stats.MinSimilarity, NeighbourhoodClass.Alone, null) == SemanticDecision.Serve;

    /// <summary>
    /// The decision for one candidate; allocation-free unless the guards run (only on a would-be serve of two
    /// different questions).
    /// </summary>
    /// <param name="question">The normalized question asked.</param>
    /// <param name="candidateQuestion">The normalized cached question.</param>
    /// <param name="similarity">Their cosine similarity.</param>
    /// <param name="threshold">The static threshold: served above it unless the learned estimate says otherwise.</param>
    /// <param name="entryFloor">The entry's feedback floor.</param>
    /// <param name="neighbourhood">The candidate's <see cref="NeighbourhoodClass"/>.</param>
    /// <param name="entry">The entry's own verification outcomes.</param>
    public SemanticDecision Decide(string question, string candidateQuestion, float similarity, float threshold, float entryFloor, int neighbourhood, EntryObservations? entry)
    {
        if (similarity < Math.Min(Floor, threshold) || similarity < entryFloor)
        {
            return SemanticDecision.Miss;
        }

        int correctBelow = 0;
        if (entry is not null)
        {
            // Monotone: wrong at or above this similarity means wrong here.
            if (entry.MaxWrong >= similarity)
            {
                return SemanticDecision.Explore;
            }

            correctBelow = entry.CorrectAtOrBelow(similarity);
        }

        Estimate(similarity, neighbourhood, correctBelow, out double mean, out double upper, out double evidence);
        bool serve = upper <= MaxErrorRate
            || (similarity >= threshold && (evidence < MinEvidence || mean <= MaxErrorRate));
        if (!serve)
        {
            return SemanticDecision.Explore;
        }

        if (Guards && !string.Equals(question, candidateQuestion, StringComparison.Ordinal) && !QuestionGuards.Compatible(question, candidateQuestion))
        {
            return SemanticDecision.Explore;
        }

        return SemanticDecision.Serve;
    }

    /// <summary>Estimated P(wrong | similarity, neighbourhood, entry evidence): posterior mean, upper bound, and how many observations back it.</summary>
    internal void Estimate(float similarity, int neighbourhood, int entryCorrect, out double mean, out double upper, out double evidence)
    {
        int b = Bin(similarity);
        long nc = 0, nw = 0, ac = 0, aw = 0;
        for (int d = -1; d <= 1; d++)
        {
            int bb = b + d;
            if (bb < 0 || bb >= Bins)
            {
                continue;
            }

            for (int k = 0; k < NeighbourhoodClass.Count; k++)
            {
                long c = Volatile.Read(ref _correct[(k * Bins) + bb]);
                long w = Volatile.Read(ref _wrong[(k * Bins) + bb]);
                ac += c;
                aw += w;
                if (k == neighbourhood)
                {
                    nc += c;
                    nw += w;
                }
            }
        }

        // Shrinkage: all-class window (Jeffreys prior) -> class window -> entry evidence (monotone, weighted).
        double pAll = (aw + 0.5) / (ac + aw + 1.0);
        double mAll = Math.Min(ac + aw, PriorStrength);
        double a = (pAll * mAll) + nw;
        double bt = ((1 - pAll) * mAll) + nc + (EntryWeight * entryCorrect);
        double n = a + bt;
        mean = n <= 0 ? 0.5 : a / n;
        upper = mean + (ConfidenceZ * Math.Sqrt(mean * (1 - mean) / (n + 1)));
        evidence = nc + nw + (EntryWeight * entryCorrect);
    }

    /// <summary>Records a verification outcome (explore, or a wrong-answer report) in the global prior.</summary>
    public void Record(float similarity, int neighbourhood, bool correct)
    {
        int i = (neighbourhood * Bins) + Bin(similarity);
        Interlocked.Increment(ref (correct ? _correct : _wrong)[i]);
    }

    /// <summary>(correct, wrong) counts of one class and similarity bin (reports).</summary>
    internal (long Correct, long Wrong) Counts(int neighbourhood, int bin) => (_correct[(neighbourhood * Bins) + bin], _wrong[(neighbourhood * Bins) + bin]);

    private static int Bin(float similarity) => Math.Clamp((int)((similarity - BinLow) * 100f), 0, Bins - 1);
}
