using System.Net;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using Microsoft.Extensions.Logging;

namespace Engine.Transport.Io;

/// <summary>
/// HTTP/3 on one UDP socket: a <see cref="QuicEndpoint"/> on a <see cref="UdpEndpointDriver"/>,
/// an <see cref="Http3ServerConnection"/> per accepted connection, all processed on the driver's
/// thread. Handlers that answer later call back through <see cref="Invoke"/>.
/// </summary>
internal sealed class Http3Server : IDisposable
{
    private readonly List<Http3ServerConnection> _connections = [];
    private readonly IHttp3RequestHandler _handler;
    private readonly Http3ServerOptions _options;
    private bool _shuttingDown;
    private long _requestsServedByClosedConnections;

    /// <summary>Binds <paramref name="listen"/> and starts serving. ALPN must include "h3".</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The UDP port could not be bound.</exception>
    public Http3Server(IPEndPoint listen, QuicServerOptions quic, IHttp3RequestHandler handler, Http3ServerOptions? options = null, ILogger? logger = null, bool segmentationOffload = true)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(quic);
        if (!quic.Tls.ApplicationProtocols.Contains("h3"))
        {
            throw new ArgumentException("An HTTP/3 server must offer the \"h3\" application protocol.", nameof(quic));
        }

        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _options = options ?? new Http3ServerOptions();
        _options.Validate();
        Driver = new UdpEndpointDriver(new QuicEndpoint(new QuicEndpointOptions { Server = quic }, logger), listen, segmentationOffload);
        Driver.AfterIteration = OnIteration;
    }

    public UdpEndpointDriver Driver { get; }

    public IPEndPoint LocalEndPoint => Driver.LocalEndPoint;

    /// <summary>Open HTTP/3 connections (read it through <see cref="Invoke"/> for an exact value).</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Requests handed to the handler so far (read it through <see cref="Invoke"/> for an exact value).</summary>
    public long RequestsServed => _requestsServedByClosedConnections + _connections.Sum(c => (long)c.RequestsServed);

    /// <summary>Runs <paramref name="action"/> on the driver's thread (under its lock), then sends what it made sendable.</summary>
    public void Invoke(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Driver.Invoke((_, _) =>
        {
            action();
            return true;
        });
    }

    /// <summary>Sends GOAWAY on every connection (and on new ones); each closes once its requests are answered.</summary>
    public void BeginShutdown() =>
        Driver.Invoke((_, now) =>
        {
            _shuttingDown = true;
            foreach (Http3ServerConnection connection in _connections)
            {
                connection.BeginShutdown(now);
            }

            return true;
        });

    /// <summary>Shuts down gracefully, waiting up to <paramref name="timeout"/> for connections to finish; the rest are closed.</summary>
    public async Task ShutdownAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        BeginShutdown();
        DateTime deadline = DateTime.UtcNow + timeout;
        while (Driver.Invoke((_, _) => _connections.Count) > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }

        Driver.Invoke((_, now) =>
        {
            foreach (Http3ServerConnection connection in _connections)
            {
                if (!connection.Connection.IsClosing)
                {
                    connection.Connection.Close((ulong)Http3ErrorCode.NoError, "server stopped", now);
                }
            }

            return true;
        });
    }

    public void Dispose() => Driver.Dispose();

    private void OnIteration(QuicEndpoint endpoint, TimeSpan now)
    {
        while (endpoint.TryAccept(out QuicConnectionCore accepted))
        {
            var connection = new Http3ServerConnection(accepted, _handler, _options);
            _connections.Add(connection);
            if (_shuttingDown)
            {
                connection.BeginShutdown(now);
            }
        }

        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            Http3ServerConnection connection = _connections[i];
            connection.Process(now);
            if (connection.Connection.IsClosed)
            {
                _requestsServedByClosedConnections += connection.RequestsServed;
                _connections[i] = _connections[^1];
                _connections.RemoveAt(_connections.Count - 1);
            }
        }
    }
}
