using Engine.Sessions;
using Engine.Telemetry;
using Engine.Transport.WebTransport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting.Http3;

/// <summary>
/// WebTransport sessions at <see cref="EngineOptions.WebTransportPath"/>: the same checks as the
/// WebSocket endpoint before the 2xx (origin 403, connection ceiling 503; one connection's
/// session flood gets 429 from the transport), then a <see cref="ClientConnection"/> per session,
/// so rooms never learn the transport.
/// </summary>
internal sealed class WebTransportEndpoint(EngineServices services, IHostApplicationLifetime? lifetime)
{
    private readonly ILogger _logger = services.Loggers.CreateLogger("Engine.WebTransport");
    private readonly DatagramMeter _meter = new(services.Metrics);

    public WebTransportServerOptions CreateOptions() => new()
    {
        Path = services.Options.WebTransportPath,
        Authorize = Authorize,
        Refused = (request, status) => Reject(request, status == 429 ? "too_many_sessions" : "not_found", $"{status} from the WebTransport layer"),
        SessionEstablished = session => _ = Task.Run(() => RunAsync(session)),
    };

    private WebTransportConnectResult Authorize(WebTransportConnectRequest request)
    {
        EngineOptions options = services.Options;
        if (options.AllowedOrigins.Length > 0 && (request.Origin is null || !options.AllowedOrigins.Contains(request.Origin, StringComparer.OrdinalIgnoreCase)))
        {
            Reject(request, "origin_not_allowed", $"origin '{request.Origin}' is not in Engine:AllowedOrigins");
            return new WebTransportConnectResult(403, "Origin not allowed.");
        }

        if (!services.TryAcquireConnection())
        {
            Reject(request, "connection_limit", $"at the connection limit ({options.MaxConnections})");
            return new WebTransportConnectResult(503, "At the connection limit; retry later.", RetryAfterSeconds: 5);
        }

        return WebTransportConnectResult.Accept; // the connection slot is released when the session's ClientConnection ends
    }

    private async Task RunAsync(WebTransportSession session)
    {
        try
        {
            var transportOptions = new WebTransportSessionOptions
            {
                MaxMessageBytes = services.Options.MaxMessageBytes,
                SendQueueCapacity = services.Options.SendQueueCapacity,
            };
            var transport = new WebTransportTransportSession(session, transportOptions, $"wt-{session.RemoteEndPoint}-{session.Id}", _logger, _meter);
            var connection = new ClientConnection(transport, services);
            await connection.RunAsync(lifetime?.ApplicationStopping ?? CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.ConnectionFailed(_logger, exception, "wt-" + session.Id);
        }
        finally
        {
            services.ReleaseConnection();
        }
    }

    private void Reject(WebTransportConnectRequest request, string reason, string detail)
    {
        services.Metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("transport", "webtransport"));
        Log.Rejected(_logger, request.Path, request.RemoteEndPoint.Address.ToString(), detail);
    }
}

/// <summary>Feeds a WebTransport session's datagram counts into Engine's metrics (tag transport=webtransport).</summary>
internal sealed class DatagramMeter(EngineMetrics metrics) : IDatagramMeter
{
    private static readonly KeyValuePair<string, object?> Transport = new("transport", "webtransport");

    public void Sent(int datagrams, bool fragments)
    {
        metrics.DatagramsSent.Add(datagrams, Transport);
        if (fragments)
        {
            metrics.Fragments.Add(datagrams, Transport);
        }
    }

    public void Received(int bytes) => metrics.DatagramsReceived.Add(1, Transport);

    public void Dropped(DatagramDropReason reason, int datagrams = 1) =>
        metrics.DatagramsDropped.Add(datagrams, Transport, new KeyValuePair<string, object?>("reason", reason switch
        {
            DatagramDropReason.TooLarge => "too_large",
            DatagramDropReason.Refused => "refused",
            DatagramDropReason.Malformed => "malformed",
            _ => "receive_queue_full",
        }));
}
