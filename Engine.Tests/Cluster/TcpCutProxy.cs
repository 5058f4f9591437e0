using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Engine.Tests.Cluster;

/// <summary>
/// A loopback TCP relay between clients and one target port, to partition one client: put it behind
/// the proxy, then <see cref="Cut"/> closes every relayed connection at once (abortively, RST) and,
/// while cut, accepts and closes new ones; <see cref="Restore"/> relays again. Each direction of a
/// connection is one task copying through a fixed 16 KiB buffer (bounded: a slow reader stalls the
/// writer through TCP flow control, nothing queues here).
/// </summary>
internal sealed class TcpCutProxy : IAsyncDisposable
{
    private const int BufferBytes = 16 * 1024;

    private readonly Socket _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Relay> _relays = [];
    private readonly Task _acceptLoop;
    private bool _cut;
    private int _accepted;

    public TcpCutProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The proxy's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A NATS URL through the proxy.</summary>
    public string Url => $"nats://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Connections relayed now.</summary>
    public int ActiveConnections
    {
        get
        {
            lock (_gate)
            {
                return _relays.Count;
            }
        }
    }

    /// <summary>Connections accepted so far (relayed or, while cut, closed at once).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Closes every relayed connection now; until <see cref="Restore"/>, new ones are accepted and closed.</summary>
    public void Cut()
    {
        Relay[] relays;
        lock (_gate)
        {
            _cut = true;
            relays = [.. _relays];
        }

        foreach (Relay relay in relays)
        {
            relay.Abort();
        }
    }

    /// <summary>Relays new connections again.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            _cut = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Relay[] relays;
        lock (_gate)
        {
            relays = [.. _relays];
        }

        foreach (Relay relay in relays)
        {
            relay.Abort();
        }

        await Task.WhenAll(relays.Select(r => r.Completion)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _closing.Dispose();
    }

    private static void AbortSocket(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken closing = _closing.Token;
        while (!closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(closing);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            bool cut;
            lock (_gate)
            {
                cut = _cut;
            }

            if (cut)
            {
                AbortSocket(client);
                continue;
            }

            _ = RelayAsync(client, closing);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken closing)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _targetPort), closing);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The target is down: the client sees its connection closed, as it would without the proxy.
            AbortSocket(server);
            AbortSocket(client);
            return;
        }

        client.NoDelay = true;
        server.NoDelay = true;
        var relay = new Relay(client, server);
        lock (_gate)
        {
            if (_cut)
            {
                // Cut while connecting.
                relay.Abort();
                return;
            }

            _relays.Add(relay);
        }

        relay.Start();
        await relay.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
        {
            _relays.Remove(relay);
        }
    }

    /// <summary>One relayed connection: two copy tasks; when either side ends, both sockets close.</summary>
    private sealed class Relay(Socket client, Socket server)
    {
        private int _aborted;

        public Task Completion { get; private set; } = Task.CompletedTask;

        public void Start() => Completion = Task.WhenAll(Task.Run(() => CopyAsync(client, server)), Task.Run(() => CopyAsync(server, client)));

        public void Abort()
        {
            if (Interlocked.Exchange(ref _aborted, 1) == 0)
            {
                AbortSocket(client);
                AbortSocket(server);
            }
        }

        private async Task CopyAsync(Socket from, Socket to)
        {
            byte[] buffer = new byte[BufferBytes];
            try
            {
                while (true)
                {
                    int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0)
                    {
                        break;
                    }

                    int sent = 0;
                    while (sent < read)
                    {
                        sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                    }
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Closed by the other side, by the other direction, or by Cut.
            }

            Abort();
        }
    }
}
