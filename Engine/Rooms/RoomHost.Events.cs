using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Engine.Protocol;
using Engine.Telemetry;

namespace Engine.Rooms;

internal sealed partial class RoomHost
{
    /// <summary>Events a spectator may have queued before it is cut off as too slow.</summary>
    internal const int SpectatorQueueCapacity = 256;

    private readonly List<SpectatorFeed> _spectators = [];

    /// <summary>Largest game event payload: room events are replayed and fanned out to everyone, so they stay small.</summary>
    public const int MaxGameEventBytes = 64 * 1024;

    /// <summary>Publishes a game-defined event.</summary>
    public void PublishGameEvent(int kind, ReadOnlySpan<byte> data, Player? about)
    {
        if (data.Length > MaxGameEventBytes)
        {
            throw new ArgumentException($"A game event carries at most {MaxGameEventBytes} bytes (got {data.Length}); send large state through WriteState.", nameof(data));
        }

        // Called from hooks, which hold the lock.
        Publish(new GameEventMessage { Sequence = NextSequence(), PlayerId = about?.Id ?? 0, Kind = kind, Data = data.ToArray() }, "game");
    }

    /// <summary>
    /// Subscribes a spectator from <paramref name="lastEventId"/> (null: from now). The missed events
    /// are queued first, atomically with registration, so the feed has no gap and no duplicate.
    /// </summary>
    public SpectatorFeed? Subscribe(long? lastEventId, out bool recovered)
    {
        lock (_gate)
        {
            recovered = true;
            if (_closed)
            {
                return null;
            }

            var feed = new SpectatorFeed(this);
            if (lastEventId is { } last)
            {
                recovered = _events.TryGetSince(last, out List<RoomEvent> missed) && missed.Count <= SpectatorQueueCapacity;
                if (recovered)
                {
                    foreach (RoomEvent e in missed)
                    {
                        feed.Offer(e);
                    }
                }
            }

            if (!recovered)
            {
                string presence = JsonSerializer.Serialize(new PresenceMessage { Members = MembersLocked() }, EventJson.Default.PresenceMessage);
                feed.Offer(new RoomEvent(_events.LastSequence, "resync", [], presence, MessageType.Presence));
            }

            _spectators.Add(feed);
            return feed;
        }
    }

    /// <summary>
    /// A stored event (its protocol bytes, as JetStream keeps them) as the spectator feed shows it:
    /// the SSE event name and JSON. Null for bytes that are not a room event.
    /// </summary>
    internal static RoomEvent? FromStored(long sequence, ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return null;
        }

        try
        {
            return (MessageType)message[0] switch
            {
                MessageType.Joined => Stored(sequence, MessageCodec.Read<JoinedMessage>(message), "joined", message),
                MessageType.Left => Stored(sequence, MessageCodec.Read<LeftMessage>(message), "left", message),
                MessageType.ChatPosted => Stored(sequence, MessageCodec.Read<ChatPostedMessage>(message), "chat", message),
                MessageType.GameEvent => Stored(sequence, MessageCodec.Read<GameEventMessage>(message), "game", message),
                _ => null,
            };
        }
        catch (Exception exception) when (exception is ProtocolException or MemoryPack.MemoryPackSerializationException)
        {
            return null;
        }

        static RoomEvent Stored<T>(long sequence, T decoded, string name, ReadOnlySpan<byte> message)
            where T : class =>
            new(sequence, name, message.ToArray(), JsonSerializer.Serialize(decoded, typeof(T), EventJson.Default), MessageCatalog.Of<T>.Type);
    }

    internal void Unsubscribe(SpectatorFeed feed)
    {
        lock (_gate)
        {
            _spectators.Remove(feed);
            if (_players.Count == 0 && _spectators.Count == 0)
            {
                _emptySince = Time.GetTimestamp();
            }
        }
    }

    private RoomEvent Publish<T>(T message, string name)
        where T : class
    {
        AssertLocked();
        long sequence = NextSequence();
        var e = new RoomEvent(sequence, name, MessageCodec.ToArray(message), JsonSerializer.Serialize(message, typeof(T), EventJson.Default), MessageCatalog.Of<T>.Type);
        _events.Append(e);
        EnqueueDurable(e);
        SendToAll(e.Binary);
        for (int i = _spectators.Count - 1; i >= 0; i--)
        {
            if (!_spectators[i].Offer(e))
            {
                Log.SpectatorOverflow(Logger, Name);
                _spectators[i].Complete();
                _spectators.RemoveAt(i);
            }
        }

        return e;
    }

    private void SendToAll(byte[] message)
    {
        foreach (Player player in _players.Values)
        {
            Send(player, message);
        }
    }

    private void Send(Player player, ReadOnlySpan<byte> message)
    {
        // A false return means the session closed (or was just closed as a slow consumer); its
        // connection loop then detaches the player.
        if (player.Session is { } session && session.TrySendReliable(message))
        {
            var transport = new KeyValuePair<string, object?>("transport", session.TransportName);
            _metrics.MessagesOut.Add(1, new KeyValuePair<string, object?>("channel", "reliable"), transport);
            _metrics.BytesOut.Add(message.Length, transport);
        }
    }
}

/// <summary>A spectator's bounded queue of room events (Server-Sent Events). Full: the spectator is cut off and resumes with Last-Event-ID.</summary>
internal sealed class SpectatorFeed(RoomHost room)
{
    private readonly Channel<RoomEvent> _queue = Channel.CreateBounded<RoomEvent>(new BoundedChannelOptions(RoomHost.SpectatorQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently
    });

    public ChannelReader<RoomEvent> Reader => _queue.Reader;

    public bool Offer(RoomEvent e) => _queue.Writer.TryWrite(e);

    public void Complete() => _queue.Writer.TryComplete();

    public void Dispose()
    {
        Complete();
        room.Unsubscribe(this);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JoinedMessage))]
[JsonSerializable(typeof(LeftMessage))]
[JsonSerializable(typeof(ChatPostedMessage))]
[JsonSerializable(typeof(GameEventMessage))]
[JsonSerializable(typeof(PresenceMessage))]
internal sealed partial class EventJson : JsonSerializerContext;
