using System.Net;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Http3;
using Engine.Transport.Quic;
using Engine.Transport.Tls;
using Engine.Transport.WebTransport;
using Engine.Transport.WebTransport.Protocol;
using Microsoft.Extensions.Logging;

namespace Engine.Transport.Io;

/// <summary>
/// HTTP/3 on one UDP socket: a <see cref="QuicEndpointHost"/> with an
/// <see cref="Http3ServerConnection"/> per accepted connection, all run on the host's driver
/// thread. Only connections with events waiting are visited after a loop turn. Handlers that
/// answer later call back through <see cref="Invoke"/>.
/// </summary>
/// <example>
/// <code>
/// using var server = new Http3Server(new IPEndPoint(IPAddress.Loopback, 4433), certificate, handler);
/// // ... later
/// await server.ShutdownAsync(TimeSpan.FromSeconds(5));
/// </code>
/// </example>
public sealed class Http3Server : IDisposable
{
    private readonly HashSet<Http3ServerConnection> _connections = [];
    private readonly IHttp3RequestHandler _handler;
    private readonly Http3ServerOptions _options;
    private readonly QuicEndpointHost _host;
    private readonly WebTransportServerOptions? _webTransport;
    private readonly ITimer? _expiry;
    private bool _shuttingDown;
    private long _requestsServedByClosedConnections;
    private readonly WebTransportServerStatistics _closedWebTransport = new();

    /// <summary>
    /// Binds <paramref name="listen"/> and serves HTTP/3 ("h3") with <paramref name="certificate"/>
    /// (ECDSA P-256 or RSA, with its private key); with <paramref name="webTransport"/>, also
    /// WebTransport sessions (draft-02, as Chromium speaks it) on its path.
    /// </summary>
    /// <exception cref="ArgumentException">The certificate cannot be used by Engine's TLS 1.3, or an option is invalid.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The UDP port could not be bound.</exception>
    public Http3Server(IPEndPoint listen, X509Certificate2 certificate, IHttp3RequestHandler handler, Http3ServerOptions? options = null, ILogger? logger = null, WebTransportServerOptions? webTransport = null)
        : this(listen, ServerSettings(certificate), handler, options, logger, webTransport: webTransport)
    {
    }

    /// <summary>Binds <paramref name="listen"/> with full QUIC settings. ALPN must include "h3".</summary>
    internal Http3Server(IPEndPoint listen, QuicServerOptions quic, IHttp3RequestHandler handler, Http3ServerOptions? options = null, ILogger? logger = null, bool segmentationOffload = true, WebTransportServerOptions? webTransport = null)
    {
        webTransport?.Validate();
        _webTransport = webTransport;
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(quic);
        if (!quic.Tls.ApplicationProtocols.Contains("h3"))
        {
            throw new ArgumentException("An HTTP/3 server must offer the \"h3\" application protocol.", nameof(quic));
        }

        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _options = options ?? new Http3ServerOptions();
        _options.Validate();
        _host = new QuicEndpointHost(new QuicEndpoint(new QuicEndpointOptions { Server = quic }, logger), listen, segmentationOffload)
        {
            Accept = OnAccepted,
        };
        if (webTransport is not null)
        {
            // Early streams and datagrams expire on time even on a connection with nothing else to do.
            _expiry = TimeProvider.System.CreateTimer(_ => ExpireBuffered(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>WebTransport counters summed over open connections and those already closed.</summary>
    public WebTransportServerStatistics WebTransportStatistics => _host.Invoke(_ =>
    {
        var total = _closedWebTransport.Clone();
        foreach (Http3ServerConnection connection in _connections)
        {
            if (connection.Extension is WebTransportServerExtension extension)
            {
                total.Add(extension);
            }
        }

        return total;
    });

    /// <summary>The bound UDP address (the port resolved when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => Driver.LocalEndPoint;

    /// <summary>Open HTTP/3 connections (read it through <see cref="Invoke"/> for an exact value).</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Requests handed to the handler so far (read it through <see cref="Invoke"/> for an exact value).</summary>
    public long RequestsServed => _requestsServedByClosedConnections + _connections.Sum(c => (long)c.RequestsServed);

    internal UdpEndpointDriver Driver => _host.Driver;

    internal QuicEndpointHost Host => _host;

    /// <summary>Runs <paramref name="action"/> on the driver's thread (under its lock), then sends what it made sendable.</summary>
    public void Invoke(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _host.Invoke(_ =>
        {
            action();
            return true;
        });
    }

    /// <summary>
    /// Presents <paramref name="certificate"/> in handshakes from now on (a renewed certificate);
    /// open connections keep theirs.
    /// </summary>
    /// <exception cref="ArgumentException">The certificate cannot be used by Engine's TLS 1.3.</exception>
    public void UpdateCertificate(X509Certificate2 certificate)
    {
        QuicServerOptions settings = ServerSettings(certificate);
        _host.Invoke(_ =>
        {
            _host.Endpoint.UpdateServerOptions(settings);
            return true;
        });
    }

    /// <summary>Sends GOAWAY on every connection (and on new ones); each closes once its requests are answered.</summary>
    public void BeginShutdown() =>
        _host.Invoke(now =>
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
        while (_host.Invoke(_ => _connections.Count) > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }

        _host.Invoke(now =>
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

    public void Dispose()
    {
        _expiry?.Dispose();
        _host.Dispose();
    }

    private void ExpireBuffered()
    {
        try
        {
            _host.Invoke(now =>
            {
                foreach (Http3ServerConnection connection in _connections)
                {
                    if (connection.Extension is { } extension && !connection.Connection.IsClosing)
                    {
                        extension.OnProcessed(now);
                    }
                }

                return 0;
            });
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private static QuicServerOptions ServerSettings(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var settings = new QuicServerOptions { Tls = new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] } };
        settings.Validate();
        return settings;
    }

    private Served OnAccepted(QuicConnectionCore accepted, TimeSpan now)
    {
        var connection = new Http3ServerConnection(accepted, _handler, _options);
        if (_webTransport is { } webTransport)
        {
            connection.Extension = new WebTransportServerExtension(accepted, new WebTransportServerHandler(_host, webTransport), webTransport.Path, webTransport.ToLimits());
        }

        _connections.Add(connection);
        if (_shuttingDown)
        {
            connection.BeginShutdown(now);
        }

        return new Served(this, connection);
    }

    /// <summary>Receives one connection's events from the host and forgets the connection once it closed.</summary>
    private sealed class Served(Http3Server server, Http3ServerConnection connection) : IQuicConnectionOwner
    {
        public void OnConnectionEvents(TimeSpan now)
        {
            connection.Process(now);
            if (connection.Connection.IsClosed && server._connections.Remove(connection))
            {
                server._requestsServedByClosedConnections += connection.RequestsServed;
                if (connection.Extension is WebTransportServerExtension extension)
                {
                    server._closedWebTransport.Add(extension);
                }
            }
        }
    }
}
