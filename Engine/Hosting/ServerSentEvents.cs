using System.Text;
using Engine.Rooms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// <c>GET /events/{room}</c>: the room's reliable events as Server-Sent Events, each with
/// <c>id:</c> set to its sequence. <c>Last-Event-ID</c> (header, or <c>?lastEventId=</c>) resumes
/// from the replay buffer without gaps; a gap beyond it yields one <c>resync</c> event carrying the
/// member list, then the live feed.
/// </summary>
internal static class ServerSentEvents
{
    public static async Task StreamAsync(HttpContext context, string room, EngineServices services, ILogger logger)
    {
        if (!RoomNames.IsValid(room))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(RoomNames.Rule);
            return;
        }

        string? lastId = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? context.Request.Query["lastEventId"].FirstOrDefault();
        long? lastEventId = null;
        if (lastId is not null)
        {
            if (!long.TryParse(lastId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long parsed))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("Last-Event-ID must be an event sequence number.");
                return;
            }

            lastEventId = parsed;
        }

        if (!services.TryAcquireConnection())
        {
            EngineEndpoints.Reject(context, services, logger, "connection_limit", $"at the connection limit ({services.Options.MaxConnections})");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            return;
        }

        try
        {
            RoomHost? host;
            try
            {
                // A room runs on one instance of a cluster: spectators are served by its owner only
                // (a copy here would see none of the room's events).
                string owner = await services.Leases.AcquireOrFindOwnerAsync(room, context.RequestAborted);
                if (owner != services.Bus.InstanceId)
                {
                    context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                    await context.Response.WriteAsync($"Room '{room}' runs on another instance of this cluster ({owner}); spectate it there.");
                    return;
                }

                host = await services.Rooms.GetOrCreateAsync(room, context.RequestAborted);
            }
            catch (Cluster.ClusterUnavailableException)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "5";
                return;
            }

            SpectatorFeed? feed = host?.Subscribe(lastEventId, out _);
            if (feed is null)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "1";
                return;
            }

            try
            {
                context.Response.ContentType = "text/event-stream";
                context.Response.Headers.CacheControl = "no-cache";
                context.Response.Headers["X-Accel-Buffering"] = "no";
                await context.Response.WriteAsync("retry: 2000\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                var text = new StringBuilder();
                while (await feed.Reader.WaitToReadAsync(context.RequestAborted))
                {
                    text.Clear();
                    while (feed.Reader.TryRead(out RoomEvent? e))
                    {
                        text.Append("id: ").Append(EngineEndpoints.Invariant(e.Sequence)).Append('\n')
                            .Append("event: ").Append(e.Name).Append('\n')
                            .Append("data: ").Append(e.Json).Append("\n\n");
                    }

                    await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The spectator went away.
            }
            finally
            {
                feed.Dispose();
            }
        }
        finally
        {
            services.ReleaseConnection();
        }
    }
}
