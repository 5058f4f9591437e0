using System.Net;
using System.Threading.Channels;
using Engine.Transport.Io;
using Engine.Transport.Quic;
using Engine.Transport.Tls;
using CoreConnection = Engine.Transport.Quic.QuicConnectionCore;
using CoreServerOptions = Engine.Transport.Quic.QuicServerOptions;

namespace Engine.Transport.Net;

/// <summary>
/// Accepts QUIC connections on one UDP socket, shaped like System.Net.Quic's listener. Only
/// connections whose handshake completed are handed out; at most
/// <see cref="QuicListenerOptions.ListenBacklog"/> wait, and further ones are closed (refused).
/// Accepted connections share the listener's socket: disposing the listener closes them.
/// </summary>
/// <example>
/// An echo server and a client on loopback:
/// <code>
/// await using var listener = await QuicListener.ListenAsync(new QuicListenerOptions
/// {
///     ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
///     ApplicationProtocols = ["echo"],
///     ServerCertificate = certificate, // ECDSA P-256 with its key, valid at most 14 days for hash pinning
/// });
/// _ = Task.Run(async () =>
/// {
///     await using QuicConnection server = await listener.AcceptConnectionAsync();
///     await using QuicStream stream = await server.AcceptInboundStreamAsync();
///     await stream.CopyToAsync(stream); // echo until the client's FIN
///     stream.CompleteWrites();
/// });
/// await using QuicConnection client = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
/// {
///     RemoteEndPoint = listener.LocalEndPoint,
///     ApplicationProtocols = ["echo"],
///     ServerCertificateHashes = [SHA256.HashData(certificate.RawData)],
/// });
/// await using QuicStream echo = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
/// await echo.WriteAsync("hello"u8.ToArray());
/// echo.CompleteWrites();
/// string reply = await new StreamReader(echo).ReadToEndAsync(); // "hello"
/// </code>
/// </example>
public sealed class QuicListener : IAsyncDisposable
{
    private readonly QuicEndpointHost _host;
    private readonly Channel<QuicConnection> _ready;
    private int _disposed;

    private QuicListener(QuicEndpointHost host, int backlog)
    {
        _host = host;
        _ready = Channel.CreateBounded<QuicConnection>(new BoundedChannelOptions(backlog) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        host.Accept = OnAccepted;
    }

    public IPEndPoint LocalEndPoint => _host.Driver.LocalEndPoint;

    /// <summary>Binds the UDP socket and starts accepting.</summary>
    /// <exception cref="ArgumentException">The options are invalid (every problem is listed).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound.</exception>
    public static ValueTask<QuicListener> ListenAsync(QuicListenerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var server = new CoreServerOptions
        {
            Tls = new TlsServerOptions { Certificate = options.ServerCertificate!, ApplicationProtocols = options.ApplicationProtocols },
            Transport = options.ToCore(connectionIdLength: 8),
        };
        server.Validate();
        var endpoint = new QuicEndpoint(new QuicEndpointOptions { Server = server, AcceptQueueCapacity = Math.Min(options.ListenBacklog, 4096) });
        return ValueTask.FromResult(new QuicListener(new QuicEndpointHost(endpoint, options.ListenEndPoint!), options.ListenBacklog));
    }

    /// <summary>Waits for the next connection whose handshake completed.</summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public async ValueTask<QuicConnection> AcceptConnectionAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException exception)
        {
            throw new ObjectDisposedException(nameof(QuicListener), exception);
        }
    }

    /// <summary>Stops listening, closes every connection on this socket and releases it.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ready.Writer.TryComplete();
            _host.CloseAll("listener disposed");
            _host.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Driver thread: track a new connection and queue it once its handshake completes.</summary>
    private QuicConnection OnAccepted(CoreConnection core, TimeSpan now)
    {
        var connection = new QuicConnection(_host, core, ownsHost: false)
        {
            HandshakeCompleted = c =>
            {
                if (!_ready.Writer.TryWrite(c))
                {
                    c.Core.Close(0x2, "accept queue full", _host.Driver.Now); // application code 2 with a reason: the backlog is the policy
                }
            },
        };
        return connection;
    }
}
