using System.Globalization;
using System.Net.WebSockets;
using Engine.Cluster;
using Engine.Hosting.Http3;
using Engine.Rooms;
using Engine.Sessions;
using Engine.Telemetry;
using Engine.Transport.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>Engine's HTTP surface on one HTTPS port.</summary>
public static class EngineEndpoints
{
    /// <summary>
    /// Maps <c>/ws</c> (WebSocket), <c>/events/{room}</c> (Server-Sent Events), <c>/healthz</c>,
    /// <c>/presence</c> and <c>/presence/{room}</c> (cluster-wide members, JSON), <c>/metrics</c>, <c>/cert-hash</c> (development certificate only) and the static content root.
    /// </summary>
    public static WebApplication MapEngine(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        EngineServices services = app.Services.GetRequiredService<EngineServices>();
        _ = app.Services.GetRequiredService<PrometheusMetricsExporter>(); // listening from the start, so no measurement is missed
        _ = services.Relay; // subscribed from the start: other instances may relay their clients here at once
        EngineOptions options = services.Options;
        ILogger logger = services.Loggers.CreateLogger("Engine.Http");

        // HTTPS responses advertise HTTP/3 on the same port (RFC 7838), so browsers can switch to QUIC.
        if (app.Services.GetService<EngineServer>() is { } server)
        {
            app.Use((context, next) =>
            {
                if (server.AltSvc is { } altSvc && context.Request.Protocol != "HTTP/3")
                {
                    context.Response.Headers.AltSvc = altSvc;
                }

                return next(context);
            });
        }

        string contentRoot = options.ResolveContentRoot();
        if (Directory.Exists(contentRoot))
        {
            var files = new PhysicalFileProvider(Path.GetFullPath(contentRoot));
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        // Before the WebSocket middleware captures the upgrade feature: hand it a batching stream.
        app.Use((context, next) =>
        {
            if (context.Request.Path == "/ws" && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new CoalescingUpgradeFeature(upgrade));
            }

            return next(context);
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });

        if (services.Tokens is null)
        {
            Log.AnonymousJoins(logger);
        }

        if (options.AllowedOrigins.Length == 0)
        {
            Log.AnyOrigin(logger);
        }

        app.Map("/ws", (HttpContext context) => AcceptWebSocketAsync(context, services, logger));
        app.MapGet("/events/{room}", (HttpContext context, string room) => ServerSentEvents.StreamAsync(context, room, services, logger));
        app.MapGet("/healthz", () => Results.Json(new HealthReport("ok", services.Rooms.Count, services.Connections), HostingJson.Default.HealthReport));
        app.MapGet("/presence", () => Results.Json(
            ClusterPresenceReport.Of(services.Presence, services.Bus.InstanceId, app.Services.GetRequiredService<ClusterPresenceOptions>().MaxRoomsListed),
            HostingJson.Default.ClusterPresenceReport));
        app.MapGet("/presence/{room}", (string room) => RoomNames.IsValid(room)
            ? Results.Json(new ClusterPresenceRoom(room, services.Presence.Members(room)), HostingJson.Default.ClusterPresenceRoom)
            : Results.BadRequest(RoomNames.Rule));
        app.MapGet("/metrics", (PrometheusMetricsExporter exporter) => Results.Text(exporter.Render(), PrometheusMetricsExporter.ContentType));
        app.MapGet("/cert-hash", (ServerCertificateSource certificates) =>
            certificates.DevelopmentHashes is { } hashes
                ? Results.Json(hashes, HostingJson.Default.CertificateHashes)
                : Results.NotFound("A production certificate is configured; /cert-hash serves development certificates only."));

        app.Lifetime.ApplicationStarted.Register(() =>
            Log.Listening(logger, string.Join(", ", app.Urls), options.TickRate, Path.GetFullPath(contentRoot)));
        return app;
    }

    private static async Task AcceptWebSocketAsync(HttpContext context, EngineServices services, ILogger logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This endpoint speaks WebSocket only.");
            return;
        }

        if (!OriginAllowed(context, services.Options))
        {
            Reject(context, services, logger, "origin_not_allowed", $"origin '{context.Request.Headers.Origin}' is not in Engine:AllowedOrigins");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (!services.TryAcquireConnection())
        {
            Reject(context, services, logger, "connection_limit", $"at the connection limit ({services.Options.MaxConnections})");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            return;
        }

        try
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            var sessionOptions = new WebSocketSessionOptions
            {
                MaxMessageBytes = services.Options.MaxMessageBytes,
                SendQueueCapacity = services.Options.SendQueueCapacity,
            };
            var transport = new WebSocketTransportSession(
                socket,
                sessionOptions,
                "ws-" + context.TraceIdentifier,
                context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort) : null,
                services.Loggers.CreateLogger<WebSocketTransportSession>(),
                services.Time,
                (context.Features.Get<IHttpUpgradeFeature>() as CoalescingUpgradeFeature)?.Stream);
            var connection = new ClientConnection(transport, services);
            await connection.RunAsync(context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        }
        finally
        {
            services.ReleaseConnection();
        }
    }

    private static bool OriginAllowed(HttpContext context, EngineOptions options)
    {
        if (options.AllowedOrigins.Length == 0)
        {
            return true;
        }

        string? origin = context.Request.Headers.Origin;
        return origin is not null && options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);
    }

    internal static void Reject(HttpContext context, EngineServices services, ILogger logger, string reason, string detail)
    {
        services.Metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("transport", "websocket"));
        Log.Rejected(logger, context.Request.Path, context.Connection.RemoteIpAddress?.ToString(), detail);
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

internal sealed record HealthReport(string Status, int Rooms, int Connections);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(HealthReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CertificateHashes))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ClusterPresenceReport))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ClusterPresenceRoom))]
internal sealed partial class HostingJson : System.Text.Json.Serialization.JsonSerializerContext;
