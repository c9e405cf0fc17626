using BenchmarkDotNet.Running;
using RagKit.Benchmarks;

// dotnet run -c Release --project benchmarks/RagKit.Benchmarks -- [BenchmarkDotNet args]   micro-benchmarks
// dotnet run -c Release --project benchmarks/RagKit.Benchmarks -- threshold [data-folder]  static threshold curve
// dotnet run -c Release --project benchmarks/RagKit.Benchmarks -- firsthit                  first vs steady semantic hit
// dotnet run -c Release --project benchmarks/RagKit.Benchmarks -- hitpath [rounds]          exact hit through AskAsync
if (args.Length > 0 && args[0] == "firsthit")
{
    await FirstHit.RunAsync();
    return;
}

if (args.Length > 0 && args[0] == "hitpath")
{
    await HitPath.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}

if (args.Length > 0 && args[0] == "threshold")
{
    await ThresholdCurve.RunAsync(args.Length > 1 ? args[1] : DataFolder.Find());
    return;
}

// A loaded 2-core machine can take longer than BenchmarkDotNet's default 2 minutes to build a benchmark.
BenchmarkSwitcher.FromAssembly(typeof(ExactTierBenchmarks).Assembly)
    .Run(args, BenchmarkDotNet.Configs.ManualConfig.Create(BenchmarkDotNet.Configs.DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10)));

internal static class DataFolder
{
    /// <summary>The shared data folder: ../shared/data from the repository root, found by walking up.</summary>
    public static string Find()
    {
        for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine("..", "shared", "data");
    }
}
