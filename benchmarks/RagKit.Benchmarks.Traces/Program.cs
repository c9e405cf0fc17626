using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using RagKit.Caching;

// Trace-driven hit-rate harness for RagKit's eviction policies (unit sizes), plus a cost-weighted workload.
// Usage: dotnet run -c Release --project benchmarks/RagKit.Benchmarks.Traces -- [dataPath] [--only name]
string dataPath = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : FindData();
string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
string traces = Path.Combine(dataPath, "traces");
Console.WriteLine($"data: {traces}");

var policies = new (string Name, EvictionPolicyFactory Factory)[]
{
    ("LRU", EvictionPolicyFactory.Lru),
    ("LFU-DA", EvictionPolicyFactory.Lfu),
    ("W-TinyLFU", EvictionPolicyFactory.WTinyLfu),
    ("GDSF", EvictionPolicyFactory.Gdsf),
    ("W-TinyLFU (LRU first)", EvictionPolicyFactory.WTinyLfuLruFirst),
    ("W-TinyLFU (hill climber)", EvictionPolicyFactory.WTinyLfuHillClimber),
};

// 1. Check the harness: LRU on ARC OLTP must reproduce the published measurement.
long[] oltp = ReadArc(Path.Combine(traces, "arc", "OLTP.lis.gz"));
double lru1k = Simulate(oltp, 1000, EvictionPolicyFactory.Lru);
double lru2k = Simulate(oltp, 2000, EvictionPolicyFactory.Lru);
bool ok = Math.Round(lru1k * 100, 2) == 32.83 && Math.Round(lru2k * 100, 2) == 42.47;
Console.WriteLine($"CHECK LRU on ARC OLTP ({oltp.Length:N0} accesses): {lru1k:P2} at 1,000 (expected 32.83 %), {lru2k:P2} at 2,000 (expected 42.47 %) -> {(ok ? "PASS" : "FAIL")}");
if (!ok)
{
    return 1;
}

var rows = new List<(string Trace, long[] Keys, int[] Capacities)>();
rows.Add(("arc/OLTP", oltp, [1000, 2000, 4000]));
rows.Add(("arc/P3", ReadArc(Path.Combine(traces, "arc", "P3.lis.gz")), [10_000, 50_000, 100_000]));
foreach (string f in Directory.GetFiles(Path.Combine(traces, "lirs"), "*.trace.gz").Order(StringComparer.Ordinal))
{
    long[] keys = ReadLirs(f);
    rows.Add(("lirs/" + Path.GetFileName(f).Replace(".trace.gz", "", StringComparison.Ordinal), keys, Capacities(keys)));
}

foreach (string f in Directory.GetFiles(Path.Combine(traces, "cache2k"), "*.trace.gz").Order(StringComparer.Ordinal))
{
    long[] keys = ReadCache2k(f);
    rows.Add(("cache2k/" + Path.GetFileName(f).Replace(".trace.gz", "", StringComparison.Ordinal), keys, Capacities(keys)));
}

if (args.Contains("--sweep"))
{
    // arc/P3 (3.9M accesses) is skipped unless --p3 is given; --only narrows the traces.
    Sweep.Run(rows.Where(r => (args.Contains("--p3") || r.Trace != "arc/P3") && (only is null || r.Trace.Contains(only, StringComparison.OrdinalIgnoreCase))).ToList());
    return 0;
}

Console.WriteLine();
// ARC and LIRS are harness-only references (ArcReference.cs, LirsReference.cs), not RagKit policies: they show
// whether a well-known adaptive policy beats LRU on a cell at all.
Console.WriteLine("| trace | accesses | distinct | capacity | " + string.Join(" | ", policies.Select(p => p.Name)) + " | ARC (reference) | LIRS (reference) | Belady (OPT) | W-TinyLFU − LRU | W-TinyLFU gap to OPT |");
Console.WriteLine("|---|---:|---:|---:|" + string.Concat(policies.Select(_ => "---:|")) + "---:|---:|---:|---:|---:|");
int total = 0;
string[] columns = [.. policies.Select(p => p.Name), "ARC (reference)", "LIRS (reference)"];
var gapToOpt = new double[columns.Length];
var above = new int[columns.Length];
var atLeast = new int[columns.Length];
foreach ((string trace, long[] keys, int[] capacities) in rows)
{
    if (only is not null && !trace.Contains(only, StringComparison.OrdinalIgnoreCase))
    {
        continue;
    }

    int distinct = keys.Distinct().Count();
    foreach (int cap in capacities)
    {
        double[] rates =
        [
            .. policies.Select(p => Simulate(keys, cap, p.Factory)),
            Simulator.Run(keys, cap, new ArcReference(cap)),
            Simulator.Run(keys, cap, new LirsReference(cap)),
        ];
        double opt = Belady(keys, cap);
        double lru = rates[0], wtiny = rates[2];
        total++;
        for (int i = 0; i < rates.Length; i++)
        {
            gapToOpt[i] += opt - rates[i];

            // "Above LRU" counts a tie where LRU is already optimal: nothing can be above it there.
            above[i] += rates[i] > lru || (rates[i] >= lru && lru >= opt - 1e-9) ? 1 : 0;
            atLeast[i] += rates[i] >= lru - 1e-12 ? 1 : 0;
        }

        Console.WriteLine($"| {trace} | {keys.Length:N0} | {distinct:N0} | {cap:N0} | " + string.Join(" | ", rates.Select(r => $"{r * 100:F2} %")) +
            $" | {opt * 100:F2} % | {(wtiny - lru) * 100:+0.00;-0.00} pp | {(opt - wtiny) * 100:F2} pp |");
    }
}

Console.WriteLine();
Console.WriteLine($"Of {total} trace×capacity cells, above LRU (or both at the optimum) / at or above LRU: " + string.Join(", ", columns.Select((n, i) => $"{n} {above[i]} / {atLeast[i]}").Skip(1)));
Console.WriteLine("Mean gap to Belady over these cells: " + string.Join(", ", columns.Select((n, i) => $"{n} {gapToOpt[i] / total * 100:F2} pp")));
Console.WriteLine("OLTP targets (ARC, FAST '03): 38.93 % at 1,000, 46.08 % at 2,000; Belady 53.61 % / 60.40 %.");
Console.WriteLine($"  ARC (reference, checks the reference against the paper): {Simulator.Run(oltp, 1000, new ArcReference(1000)):P2} at 1,000, {Simulator.Run(oltp, 2000, new ArcReference(2000)):P2} at 2,000");
Console.WriteLine($"  W-TinyLFU: {Simulate(oltp, 1000, EvictionPolicyFactory.WTinyLfu):P2} at 1,000, {Simulate(oltp, 2000, EvictionPolicyFactory.WTinyLfu):P2} at 2,000");
Console.WriteLine($"  W-TinyLFU (LRU first): {Simulate(oltp, 1000, EvictionPolicyFactory.WTinyLfuLruFirst):P2} at 1,000, {Simulate(oltp, 2000, EvictionPolicyFactory.WTinyLfuLruFirst):P2} at 2,000");
Console.WriteLine($"  W-TinyLFU (hill climber): {Simulate(oltp, 1000, EvictionPolicyFactory.WTinyLfuHillClimber):P2} at 1,000, {Simulate(oltp, 2000, EvictionPolicyFactory.WTinyLfuHillClimber):P2} at 2,000");

CostWorkload.Run(policies);
return 0;

static int[] Capacities(long[] keys)
{
    int distinct = keys.Distinct().Count();
    return [Round(distinct * 0.05), Round(distinct * 0.10), Round(distinct * 0.25)];

    static int Round(double v)
    {
        int x = Math.Max(10, (int)v);
        int mag = (int)Math.Pow(10, Math.Max(0, (int)Math.Log10(x) - 1));
        return x / mag * mag;
    }
}

static double Simulate(long[] keys, int capacity, EvictionPolicyFactory factory) =>
    Simulator.Run(keys, capacity, factory.Create<long>(new EvictionPolicyContext(capacity, capacity)));

// Belady's MIN with demand fetching: every miss is cached, the resident key used farthest in the future is evicted.
static double Belady(long[] keys, int capacity)
{
    int n = keys.Length;
    var next = new int[n];
    var last = new Dictionary<long, int>();
    for (int i = n - 1; i >= 0; i--)
    {
        next[i] = last.TryGetValue(keys[i], out int j) ? j : int.MaxValue - (n - i);
        last[keys[i]] = i;
    }

    var nextUse = new Dictionary<long, int>(capacity * 2);
    var heap = new PriorityQueue<long, int>(capacity * 2, Comparer<int>.Create((a, b) => b.CompareTo(a)));
    long hits = 0;
    for (int i = 0; i < n; i++)
    {
        long k = keys[i];
        if (nextUse.ContainsKey(k))
        {
            hits++;
        }
        else if (nextUse.Count >= capacity)
        {
            while (heap.TryDequeue(out long victim, out int when))
            {
                if (nextUse.TryGetValue(victim, out int cur) && cur == when)
                {
                    nextUse.Remove(victim);
                    break;
                }
            }
        }

        nextUse[k] = next[i];
        heap.Enqueue(k, next[i]);
    }

    return (double)hits / n;
}

static long[] ReadLirs(string path)
{
    var list = new List<long>();
    using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
    while (reader.ReadLine() is { } line)
    {
        if (long.TryParse(line.AsSpan().Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long k))
        {
            list.Add(k);
        }
    }

    return [.. list];
}

static long[] ReadCache2k(string path)
{
    using var ms = new MemoryStream();
    using (var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
    {
        gz.CopyTo(ms);
    }

    ReadOnlySpan<byte> bytes = ms.GetBuffer().AsSpan(0, (int)ms.Length);
    var keys = new long[bytes.Length / 4];
    for (int i = 0; i < keys.Length; i++)
    {
        keys[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(i * 4, 4));
    }

    return keys;
}

static long[] ReadArc(string path)
{
    var list = new List<long>();
    using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
    while (reader.ReadLine() is { } line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            continue;
        }

        long start = long.Parse(parts[0], CultureInfo.InvariantCulture);
        int count = int.Parse(parts[1], CultureInfo.InvariantCulture);
        for (int i = 0; i < count; i++)
        {
            list.Add(start + i);
        }
    }

    return [.. list];
}

static string FindData()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "data");
        if (Directory.Exists(candidate))
        {
            return candidate;
        }
    }

    throw new DirectoryNotFoundException("shared/data not found above the current directory; pass the data path as the first argument.");
}
