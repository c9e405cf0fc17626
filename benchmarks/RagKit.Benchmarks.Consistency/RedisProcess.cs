using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RagKit.Benchmarks.Consistency;

/// <summary>A redis-server of the harness's own on a fixed loopback port; killed by its PID and restarted empty.</summary>
public sealed class RedisProcess : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ragkit-consistency-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public RedisProcess()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        Port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        Directory.CreateDirectory(_directory);
        Start();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public void Start()
    {
        var psi = new ProcessStartInfo("/usr/bin/redis-server") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = _directory };
        foreach (string a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory, "--save", "", "--appendonly", "no" })
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }

        throw new InvalidOperationException("redis-server did not start.");
    }

    /// <summary>Kills the server by its PID (no shutdown, no save: it comes back empty).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
