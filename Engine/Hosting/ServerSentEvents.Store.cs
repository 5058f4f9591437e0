using System.Text;
using System.Text.Json;
using Engine.Cluster;
using Engine.Protocol;
using Engine.Rooms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting;

/// <summary>
/// Spectators of a room that runs on another instance of the cluster: the feed comes from the room's
/// durable log (JetStream) instead of the room itself. Events appear once stored (a few
/// milliseconds after the players get them) and are polled every <see cref="StorePollInterval"/>;
/// ids, names and JSON are those the owner sends. A gap the log cannot fill (retention) yields one
/// <c>resync</c> event whose member list comes from the cluster-wide presence.
/// </summary>
internal static partial class ServerSentEvents
{
    /// <summary>How often a feed served from the log looks for new events.</summary>
    internal static readonly TimeSpan StorePollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Most events written per read of the log.</summary>
    private const int StoreBatch = 256;

    private static async Task StreamFromStoreAsync(HttpContext context, string room, long? lastEventId, EngineServices services, ILogger logger)
    {
        IRoomEventStore store = services.Rooms.EventStore;
        CancellationToken aborted = context.RequestAborted;
        long last = lastEventId ?? await store.LastSequenceAsync(room, aborted); // may throw Unavailable: 503 by the caller
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.WriteAsync("retry: 2000\n\n", aborted);
        await context.Response.Body.FlushAsync(aborted);
        var text = new StringBuilder();
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                text.Clear();
                try
                {
                    last = await ReadStoreOnceAsync(store, services.Presence, room, last, text, aborted);
                }
                catch (ClusterUnavailableException exception)
                {
                    EventStoreLog.SpectatorReplayFailed(logger, room, last, exception.Message); // keep the spectator; try again
                }

                if (text.Length > 0)
                {
                    await context.Response.WriteAsync(text.ToString(), aborted);
                    await context.Response.Body.FlushAsync(aborted);
                }
                else
                {
                    await Task.Delay(StorePollInterval, services.Time, aborted);
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The spectator went away.
        }
    }

    /// <summary>Appends what the log holds after <paramref name="last"/> (a resync first when some of it is gone); returns the new last id.</summary>
    private static async Task<long> ReadStoreOnceAsync(IRoomEventStore store, IClusterPresence presence, string room, long last, StringBuilder text, CancellationToken aborted)
    {
        (IReadOnlyList<StoredRoomEvent> events, bool complete) = await store.ReadAfterAsync(room, last, StoreBatch, aborted);
        if (!complete)
        {
            if (events.Count == 0)
            {
                long stored = await store.LastSequenceAsync(room, aborted);
                if (stored <= last)
                {
                    return last; // the spectator is ahead of the log (it came from the owner's feed): wait for it
                }

                AppendResync(text, presence, room, stored);
                return stored;
            }

            AppendResync(text, presence, room, events[0].Sequence - 1); // retention removed what came before
        }

        foreach (StoredRoomEvent stored in events)
        {
            if (RoomHost.FromStored(stored.Sequence, stored.Message.Span) is { } e)
            {
                Append(text, e);
            }

            last = stored.Sequence;
        }

        return last;
    }

    private static void AppendResync(StringBuilder text, IClusterPresence presence, string room, long sequence)
    {
        RoomMember[] members = [.. presence.Members(room).Select(m => new RoomMember { PlayerId = m.PlayerId, Name = m.Name, Online = m.Online })];
        string json = JsonSerializer.Serialize(new PresenceMessage { Members = members }, EventJson.Default.PresenceMessage);
        Append(text, new RoomEvent(sequence, "resync", [], json, MessageType.Presence));
    }
}
