using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.AI;
using RagKit.Onnx;
using StackExchange.Redis;

namespace RagKit.Redis.Tests;

/// <summary>A redis-server process of the tests' own, on a free loopback port with a temporary directory.</summary>
public sealed class RedisServer : IDisposable
{
    public const string ServerPath = "/usr/bin/redis-server";
    public const string CliPath = "/usr/bin/redis-cli";
    private readonly string[] _extraArgs;
    private Process? _process;

    public RedisServer(int? port = null, params string[] extraArgs)
    {
        Port = port ?? FreePort();
        Directory = Path.Combine(Path.GetTempPath(), "ragkit-redis-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        _extraArgs = extraArgs;
        Start();
    }

    public static bool Available => File.Exists(ServerPath);

    public int Port { get; }

    public string Directory { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public void Start()
    {
        var psi = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (string a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", Directory, "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no" }.Concat(_extraArgs))
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilUp(Port);
    }

    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void WaitUntilUp(int port)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }

        throw new InvalidOperationException($"redis-server did not start on port {port}.");
    }
}

/// <summary>Three masters on loopback joined with redis-cli --cluster create.</summary>
public sealed class RedisCluster : IDisposable
{
    public RedisCluster()
    {
        Nodes = Enumerable.Range(0, 3).Select(_ =>
        {
            int port = RedisServer.FreePort();
            return new RedisServer(port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000");
        }).ToArray();
        try
        {
            Create();
        }
        catch
        {
            Dispose(); // never leave processes behind
            throw;
        }
    }

    private void Create()
    {
        var psi = new ProcessStartInfo(RedisServer.CliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--cluster");
        psi.ArgumentList.Add("create");
        foreach (RedisServer n in Nodes)
        {
            psi.ArgumentList.Add(n.Endpoint);
        }

        psi.ArgumentList.Add("--cluster-replicas");
        psi.ArgumentList.Add("0");
        psi.ArgumentList.Add("--cluster-yes");
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException("redis-cli --cluster create failed: " + output);
        }

        // Wait until every node reports the cluster ok.
        var sw = Stopwatch.StartNew();
        using ConnectionMultiplexer mux = ConnectionMultiplexer.Connect(ConnectionString + ",allowAdmin=true");
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            bool ok = Nodes.All(n => mux.GetServer(n.Endpoint).Execute("CLUSTER", "INFO").ToString().Contains("cluster_state:ok", StringComparison.Ordinal));
            if (ok)
            {
                return;
            }

            Thread.Sleep(100);
        }

        throw new InvalidOperationException("The cluster did not become ready.");
    }

    public RedisServer[] Nodes { get; }

    public string ConnectionString => string.Join(",", Nodes.Select(n => n.Endpoint));

    public void Dispose()
    {
        foreach (RedisServer n in Nodes)
        {
            n.Dispose();
        }
    }
}

/// <summary>A single server and the MiniLM embedder, shared by the tests of one collection.</summary>
public sealed class RedisFixture : IDisposable
{
    private readonly Lazy<RedisCluster> _cluster = new(() => new RedisCluster());

    public RedisFixture()
    {
        if (RedisServer.Available)
        {
            Server = new RedisServer();
        }

        Embedder = MiniLmEmbeddingGenerator.Create();
    }

    public RedisServer? Server { get; }

    public RedisCluster Cluster => _cluster.Value;

    public IEmbeddingGenerator<string, Embedding<float>> Embedder { get; }

    public void Dispose()
    {
        Server?.Dispose();
        if (_cluster.IsValueCreated)
        {
            _cluster.Value.Dispose();
        }

        Embedder.Dispose();
    }
}

[CollectionDefinition("redis")]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
}

/// <summary>A fact that reports as skipped, with the reason, where redis-server is not installed.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (!RedisServer.Available)
        {
            Skip = $"redis-server is not installed at {RedisServer.ServerPath} (apt-get install redis-server).";
        }
    }
}
