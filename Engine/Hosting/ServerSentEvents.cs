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
internal static partial class ServerSentEvents
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
                // A room runs on one instance of a cluster. Another instance serves its spectators from the
                // room's durable log (JetStream); without one it sends them to the owner.
                string owner = await services.Leases.AcquireOrFindOwnerAsync(room, context.RequestAborted);
                if (owner != services.Bus.InstanceId && services.Rooms.EventStore.IsDurable)
                {
                    await StreamFromStoreAsync(context, room, lastEventId, services, logger);
                    return;
                }

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

            // Beyond the replay ring, the older events come from the durable store (JetStream): they are
            // written first, and the feed takes over from the last of them.
            List<RoomEvent> older = host is not null && lastEventId is { } after ? await ReadStoredAsync(host, after, logger, context.RequestAborted) : [];
            if (older.Count > 0)
            {
                lastEventId = older[^1].Sequence;
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
                var text = new StringBuilder();
                foreach (RoomEvent e in older)
                {
                    Append(text, e);
                }

                await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                while (await feed.Reader.WaitToReadAsync(context.RequestAborted))
                {
                    text.Clear();
                    while (feed.Reader.TryRead(out RoomEvent? e))
                    {
                        Append(text, e);
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

    /// <summary>Most events a spectator is sent from the durable store; a longer gap resyncs instead.</summary>
    private const int MaxStoredReplay = 10_000;

    private static void Append(StringBuilder text, RoomEvent e) =>
        text.Append("id: ").Append(EngineEndpoints.Invariant(e.Sequence)).Append('\n')
            .Append("event: ").Append(e.Name).Append('\n')
            .Append("data: ").Append(e.Json).Append("\n\n");

    /// <summary>
    /// The events after <paramref name="after"/> that the room's replay ring no longer holds, read from
    /// the durable store; empty when the ring reaches back far enough, when there is no store, or when
    /// the store cannot give them all gap-free (the feed then starts with a resync).
    /// </summary>
    private static async Task<List<RoomEvent>> ReadStoredAsync(RoomHost host, long after, ILogger logger, CancellationToken cancellationToken)
    {
        // What the ring no longer holds, and what it holds beyond the spectator queue's reach (the
        // feed replays at most half its queue from the ring; the rest comes from the store).
        long upTo = Math.Max(host.OldestHeldSequence - 1, host.LatestSequence - (RoomHost.SpectatorQueueCapacity / 2));
        long wanted = upTo - after;
        if (host.Store is not { IsDurable: true } store || after < 0 || wanted is <= 0 or > MaxStoredReplay)
        {
            return [];
        }

        try
        {
            (IReadOnlyList<Cluster.StoredRoomEvent> events, bool complete) = await store.ReadAfterAsync(host.Name, after, (int)wanted, cancellationToken);
            var older = new List<RoomEvent>(events.Count);
            foreach (Cluster.StoredRoomEvent stored in events)
            {
                if (!complete || RoomHost.FromStored(stored.Sequence, stored.Message.Span) is not { } e || e.Sequence != after + 1 + older.Count)
                {
                    return [];
                }

                older.Add(e);
            }

            return older;
        }
        catch (Cluster.ClusterUnavailableException exception)
        {
            Cluster.EventStoreLog.SpectatorReplayFailed(logger, host.Name, after, exception.Message);
            return [];
        }
    }
}
