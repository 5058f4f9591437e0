using System.Net;
using Engine.Transport.Io;
using Engine.Transport.Quic;
using CoreConnection = Engine.Transport.Quic.QuicConnectionCore;

namespace Engine.Transport.Net;

/// <summary>
/// One UDP socket with its driver, and the public connections living on it. After every loop
/// iteration (under the driver's lock) it hands accepted connections to the listener and lets
/// each connection turn its core events into completed waits.
/// </summary>
internal sealed class QuicEndpointHost : IDisposable
{
    private readonly List<QuicConnection> _connections = [];

    public QuicEndpointHost(QuicEndpoint endpoint, IPEndPoint localEndPoint)
    {
        Driver = new UdpEndpointDriver(endpoint, localEndPoint);
        Driver.AfterIteration = OnIteration;
    }

    public UdpEndpointDriver Driver { get; }

    /// <summary>Called on the driver's thread for each connection a client opened (still handshaking).</summary>
    public Action<CoreConnection, TimeSpan>? Accepted { get; set; }

    /// <summary>Runs <paramref name="action"/> under the driver's lock and sends what it made sendable.</summary>
    public T Invoke<T>(Func<TimeSpan, T> action) => Driver.Invoke((_, now) => action(now));

    /// <summary>Starts dispatching a connection's events (driver thread or under <see cref="Invoke"/>).</summary>
    public void Add(QuicConnection connection) => _connections.Add(connection);

    /// <summary>Closes every connection on this socket and completes their waiters (before the socket goes away).</summary>
    public void CloseAll(string reason) =>
        Invoke(now =>
        {
            foreach (Transport.Quic.QuicConnectionCore core in Driver.Endpoint.Connections)
            {
                if (!core.IsClosing)
                {
                    core.Close(0, reason, now);
                }
            }

            foreach (QuicConnection connection in _connections)
            {
                connection.ProcessEvents();
            }

            return 0;
        });

    public void Dispose() => Driver.Dispose();

    private void OnIteration(QuicEndpoint endpoint, TimeSpan now)
    {
        while (endpoint.TryAccept(out CoreConnection accepted))
        {
            if (Accepted is { } accept)
            {
                accept(accepted, now);
            }
            else
            {
                accepted.Close(0, "not accepting connections", now);
            }
        }

        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            QuicConnection connection = _connections[i];
            connection.ProcessEvents();
            if (connection.IsFinished)
            {
                _connections[i] = _connections[^1];
                _connections.RemoveAt(_connections.Count - 1);
            }
        }
    }
}
