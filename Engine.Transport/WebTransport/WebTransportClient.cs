using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Io;
using Engine.Transport.Net;
using Engine.Transport.Quic;
using Engine.Transport.Tls;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Transport.WebTransport;

/// <summary>How <see cref="WebTransportClient.ConnectAsync"/> reaches and checks the server.</summary>
public sealed record WebTransportClientOptions
{
    /// <summary>
    /// SHA-256 hashes of acceptable server certificates (DER), like the browser's
    /// <c>serverCertificateHashes</c>: when set, a certificate with one of these hashes is trusted
    /// without a chain (it must still be valid now).
    /// </summary>
    public IReadOnlyList<byte[]> ServerCertificateHashes { get; init; } = [];

    /// <summary>Roots to validate the server's chain against when no hash is given; null uses the system's.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>Sent as the <c>origin</c> field, as a browser page would (servers may check it).</summary>
    public string? Origin { get; init; }

    /// <summary>More request fields (lowercase names).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>How long the QUIC handshake and the CONNECT may take together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The QUIC idle timeout we offer. Default 30 s (Chromium's).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>PINGs keep an idle session alive at this interval. Default 10 s.</summary>
    public TimeSpan? KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Received datagrams queued until read; a full queue drops the oldest. Default 128.</summary>
    public int DatagramReceiveQueue { get; init; } = 128;

    /// <summary>Server-opened streams the session holds at once. Default 64.</summary>
    public int MaxIncomingStreams { get; init; } = 64;
}

/// <summary>Opens WebTransport sessions (draft-02 over HTTP/3) from .NET: tests, load generators and game tools.</summary>
/// <example>
/// <code>
/// await using WebTransportSession session = await WebTransportClient.ConnectAsync(
///     new Uri("https://127.0.0.1:4433/wt"), new WebTransportClientOptions { ServerCertificateHashes = [hash] });
/// await using QuicStream stream = await session.OpenBidirectionalStreamAsync();
/// </code>
/// </example>
public static class WebTransportClient
{
    /// <summary>Connects to <paramref name="uri"/> (https, host and port, path) on a UDP socket of its own and establishes one session.</summary>
    /// <exception cref="ArgumentException">The URI or an option is invalid.</exception>
    /// <exception cref="WebTransportConnectException">The server refused (<see cref="WebTransportConnectException.Status"/>), does not speak WebTransport, or did not answer in time.</exception>
    /// <exception cref="QuicException">The QUIC handshake failed (certificate, version, refused).</exception>
    public static async ValueTask<WebTransportSession> ConnectAsync(Uri uri, WebTransportClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= new WebTransportClientOptions();
        if (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"A WebTransport URI is absolute https (got \"{uri}\").", nameof(uri));
        }

        var limits = new WebTransportLimits { DatagramReceiveQueue = options.DatagramReceiveQueue, MaxIncomingStreamsPerSession = options.MaxIncomingStreams };
        limits.Validate();
        IPEndPoint remote = await ResolveAsync(uri, cancellationToken).ConfigureAwait(false);
        var core = new QuicClientOptions
        {
            Tls = new TlsClientOptions
            {
                ServerName = uri.HostNameType == UriHostNameType.Dns ? uri.IdnHost : null,
                ApplicationProtocols = ["h3"],
                ServerCertificateHashes = options.ServerCertificateHashes,
                TrustedRoots = options.TrustedRoots,
            },
            Transport = new QuicTransportOptions { IdleTimeout = options.IdleTimeout, KeepAliveInterval = options.KeepAliveInterval, ConnectionIdLength = 0 },
        };
        core.Validate();
        IPAddress any = remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        var host = new QuicEndpointHost(new QuicEndpoint(new QuicEndpointOptions { ConnectionIdLength = 0 }), new IPEndPoint(any, 0));
        List<KeyValuePair<string, string>> fields = [.. options.Headers];
        if (options.Origin is { } origin)
        {
            fields.Add(new("origin", origin));
        }

        string authority = uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        ClientOwner owner = host.Invoke(now =>
        {
            QuicConnectionCore connection = host.Endpoint.Connect(core, remote, now);
            var protocol = new WebTransportClientProtocol(connection, authority, uri.PathAndQuery, fields, limits);
            var created = new ClientOwner(host, protocol, remote, uri.PathAndQuery, fields, options.DatagramReceiveQueue);
            host.Attach(connection, created, now);
            return created;
        });
        try
        {
            return await owner.Ready.WaitAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException exception)
        {
            host.Dispose();
            throw new WebTransportConnectException($"No WebTransport session with {remote} within {options.ConnectTimeout}.", null, exception);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static async ValueTask<IPEndPoint> ResolveAsync(Uri uri, CancellationToken cancellationToken)
    {
        int port = uri.IsDefaultPort ? 443 : uri.Port;
        if (IPAddress.TryParse(uri.DnsSafeHost, out IPAddress? literal))
        {
            return new IPEndPoint(literal, port);
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, cancellationToken).ConfigureAwait(false);
        IPAddress address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new WebTransportConnectException($"{uri.DnsSafeHost} has no address.", null);
        return new IPEndPoint(address, port);
    }

    /// <summary>Runs the client protocol on the driver's thread and completes <see cref="Ready"/>.</summary>
    private sealed class ClientOwner(QuicEndpointHost host, WebTransportClientProtocol protocol, IPEndPoint remote, string path, IReadOnlyList<KeyValuePair<string, string>> fields, int datagramQueue) : IQuicConnectionOwner
    {
        private readonly TaskCompletionSource<WebTransportSession> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<WebTransportSession> Ready => _ready.Task;

        public void OnConnectionEvents(TimeSpan now)
        {
            // The session object exists before buffered streams and datagrams are delivered to it.
            protocol.Established ??= core => _ready.TrySetResult(new WebTransportSession(core, host, remote, path, fields, datagramQueue, onDisposed: DisposeLater));
            protocol.Process(now);
            if (!_ready.Task.IsCompleted && protocol.Failure is { } failure)
            {
                Exception error = protocol.Quic.IsClosing && protocol.Status is null && !protocol.Quic.IsHandshakeComplete
                    ? QuicException.FromClose(protocol.Quic.CloseInfo, handshakeComplete: false)
                    : new WebTransportConnectException(failure, protocol.Status);
                _ready.TrySetException(error);
            }
        }

        /// <summary>A client session owns its socket: release it once the close had a moment to leave.</summary>
        private void DisposeLater() =>
            _ = Task.Delay(TimeSpan.FromMilliseconds(100)).ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
    }
}

/// <summary>A WebTransport session could not be established.</summary>
public sealed class WebTransportConnectException(string message, int? status, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The server's HTTP status when it answered the CONNECT with one (403, 404, 429, 503 …).</summary>
    public int? Status { get; } = status;
}
