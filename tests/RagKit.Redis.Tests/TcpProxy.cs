using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace RagKit.Redis.Tests;

/// <summary>
/// A loopback TCP proxy in front of a real redis-server, so a test can cut one instance off from Redis (every
/// connection dropped, new ones refused) while the others keep their connections, and then let it back.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Drops every connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (TcpClient c in _open.Keys)
        {
            Close(c);
        }
    }

    public void Restore() => _cut = false;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (TcpClient c in _open.Keys)
        {
            Close(c);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            if (_cut)
            {
                client.Dispose();
                continue;
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort);
            }
            catch (SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            _open[client] = 0;
            _open[upstream] = 0;
            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            NetworkStream source = from.GetStream(), target = to.GetStream();
            while (!_cut)
            {
                int n = await source.ReadAsync(buffer, _stop.Token);
                if (n == 0 || _cut)
                {
                    break;
                }

                await target.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
        }

        Close(from);
        Close(to);
    }

    private void Close(TcpClient c)
    {
        _open.TryRemove(c, out _);
        try
        {
            c.Client.Close(0);
        }
        catch (Exception)
        {
        }

        c.Dispose();
    }
}
