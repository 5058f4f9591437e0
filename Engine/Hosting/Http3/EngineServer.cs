using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Engine.Telemetry;
using Engine.Transport.Http3;
using Engine.Transport.Io;
using Engine.Transport.WebTransport;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting.Http3;

/// <summary>
/// The server ASP.NET Core runs: Kestrel (HTTPS on TCP at Engine:Port) plus HTTP/3 on UDP at the
/// same port, both serving the one application. HTTP/3 starts once Kestrel has bound (so port 0
/// resolves to Kestrel's port) and stops first, with GOAWAY, so requests in flight finish.
/// </summary>
internal sealed class EngineServer(IServer kestrel, EngineOptions options, ServerCertificateSource certificates, ILoggerFactory loggers, IServiceProvider? services = null) : IServer
{
    private readonly ILogger _logger = loggers.CreateLogger("Engine.Http3");
    private readonly List<Http3Server> _servers = [];
    private ITimer? _certificateWatch;
    private X509Certificate2? _quicCertificate;

    /// <summary>The UDP port serving HTTP/3, once started (null when HTTP/3 is off).</summary>
    public int? Http3Port { get; private set; }

    /// <summary>The Alt-Svc value HTTPS responses advertise, or null.</summary>
    public string? AltSvc { get; private set; }

    /// <summary>The HTTP/3 servers (one per bound address).</summary>
    public IReadOnlyList<Http3Server> Http3Servers => _servers;

    public IFeatureCollection Features => kestrel.Features;

    public async Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        await kestrel.StartAsync(application, cancellationToken).ConfigureAwait(false);
        if (!options.Http3)
        {
            return;
        }

        int port = BoundPort();
        X509Certificate2 certificate = certificates.Current;
        try
        {
            WebTransportServerOptions? webTransport = services?.GetService(typeof(EngineServices)) is EngineServices engine
                ? new WebTransportEndpoint(engine, (IHostApplicationLifetime?)services.GetService(typeof(IHostApplicationLifetime))).CreateOptions()
                : null;
            foreach (IPAddress address in ListenAddresses())
            {
                var bridge = new Http3ApplicationBridge<TContext>(application, _logger);
                var server = new Http3Server(new IPEndPoint(address, port), certificate, bridge, new Http3ServerOptions(), loggers.CreateLogger("Engine.Transport.Quic"), webTransport);
                bridge.Server = server;
                _servers.Add(server);
            }
        }
        catch (ArgumentException exception)
        {
            DisposeHttp3();
            Log.Http3Disabled(_logger, "the certificate cannot be used by Engine's TLS 1.3 (" + exception.Message + ")");
            return;
        }
        catch (SocketException exception)
        {
            DisposeHttp3();
            throw new InvalidOperationException($"HTTP/3 could not bind UDP port {port} ({exception.SocketErrorCode}). Free the port, or set Engine:Http3=false to serve HTTPS only.", exception);
        }

        Http3Port = port;
        AltSvc = $"h3=\":{port}\"; ma=86400";
        _quicCertificate = certificate;

        // The development certificate renews itself before it expires; new QUIC handshakes follow it.
        _certificateWatch = TimeProvider.System.CreateTimer(_ => FollowCertificate(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        Log.Http3Listening(_logger, string.Join(", ", _servers.Select(s => s.LocalEndPoint)), AltSvc);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _certificateWatch?.Dispose();
        Http3Port = null;
        AltSvc = null;
        await Task.WhenAll(_servers.Select(s => s.ShutdownAsync(TimeSpan.FromSeconds(5), cancellationToken))).ConfigureAwait(false);
        DisposeHttp3();
        await kestrel.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        DisposeHttp3();
        kestrel.Dispose();
    }

    /// <summary>Hands a renewed certificate to the QUIC endpoints (connections already open keep theirs).</summary>
    internal void FollowCertificate()
    {
        var current = certificates.Current;
        if (ReferenceEquals(current, _quicCertificate) || _servers.Count == 0)
        {
            return;
        }

        foreach (Http3Server server in _servers)
        {
            server.UpdateCertificate(current);
        }

        _quicCertificate = current;
    }

    private void DisposeHttp3()
    {
        _certificateWatch?.Dispose();
        foreach (Http3Server server in _servers)
        {
            server.Dispose();
        }

        _servers.Clear();
    }

    private int BoundPort()
    {
        if (options.Port != 0)
        {
            return options.Port;
        }

        string address = kestrel.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address, so the HTTP/3 port is unknown.");
        return new Uri(address).Port;
    }

    private IEnumerable<IPAddress> ListenAddresses() => options.Host switch
    {
        "localhost" => Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [IPAddress.Loopback],
        "any" => Socket.OSSupportsIPv6 ? [IPAddress.IPv6Any] : [IPAddress.Any],
        _ => [IPAddress.Parse(options.Host)],
    };
}
