using System.Diagnostics;
using System.IO.Compression;

namespace RagKit.Packaging.Tests;

/// <summary>
/// Packs the src packages into a temporary folder and builds and runs a consumer against them (restored from that
/// folder plus the machine's default sources). Slow (about two minutes): filter with <c>--filter Category!=Packaging</c>.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class PackagingTests
{
    [Fact]
    public void Packed_packages_carry_readme_license_docs_and_symbols_and_a_consumer_installs_and_runs_them()
    {
        string root = FindRepoRoot();
        string work = Directory.CreateTempSubdirectory("ragkit-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            foreach (string project in new[] { "RagKit", "RagKit.SemanticKernel" })
            {
                Run("dotnet", $"pack \"{Path.Combine(root, "src", project, project + ".csproj")}\" -c Release -o \"{feed}\" -p:Version=0.1.0-packtest", root);
            }

            foreach (string id in new[] { "RagKit", "RagKit.SemanticKernel" })
            {
                string nupkg = Path.Combine(feed, $"{id}.0.1.0-packtest.nupkg");
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.0.1.0-packtest.snupkg")), $"{id} has no symbol package");
                using ZipArchive zip = ZipFile.OpenRead(nupkg);
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("README.md", entries);
                Assert.Contains($"lib/net10.0/{id}.dll", entries);
                Assert.Contains($"lib/net10.0/{id}.xml", entries);
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                string text = nuspec.ReadToEnd();
                Assert.Contains("<license type=\"expression\">MIT</license>", text, StringComparison.Ordinal);
            }

            string app = Path.Combine(work, "consumer");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "consumer.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
                  <ItemGroup><PackageReference Include="RagKit.SemanticKernel" Version="0.1.0-packtest" /></ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <configuration><packageSources><add key="local" value="{feed}" /></packageSources></configuration>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using Microsoft.Extensions.AI;
                using Microsoft.Extensions.DependencyInjection;
                using RagKit;
                var services = new ServiceCollection();
                services.AddRagKit(o => o.TopK = 2);
                using var sp = services.BuildServiceProvider();
                var o = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RagKitOptions>>().Value;
                Console.WriteLine($"ragkit-ok TopK={o.TopK} Norm={RagKit.Caching.QuestionNormalizer.Normalize("Hello,  World?")}");
                """);
            string output = Run("dotnet", "run", app);
            Assert.Contains("ragkit-ok TopK=2", output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "RagKit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("RagKit.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Run(string file, string args, string cwd)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(4)), $"dotnet {args} timed out");
        Assert.True(p.ExitCode == 0, $"dotnet {args} failed ({p.ExitCode}):\n{output}\n{err.Result}");
        return output;
    }
}
