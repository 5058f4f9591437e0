using System.Buffers;
using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using Engine.Protocol;
using Engine.Snapshots;
using Engine.Telemetry;
using Engine.Transport.Abstractions;

namespace Engine.Rooms;

/// <summary>
/// Entity snapshots: the room writes its entities once per tick; each player's encoder turns them
/// into a delta against what that player acknowledged, filtered by interest and cut to the budget
/// (one datagram on WebTransport), framed as an <see cref="EntitySnapshotMessage"/> without a copy.
/// </summary>
internal sealed partial class RoomHost
{
    private readonly EntityFrameWriter _entities = new();
    private readonly ArrayBufferWriter<byte> _outboxBytes = new(4096);
    private readonly List<OutboxEntry> _outbox = [];
    private readonly List<UnreliableSendGroup> _sendGroups = [];
    private readonly bool _usesEntities;
    private readonly bool _hasInterest;

    private static bool Overrides(Room room, string method) =>
        room.GetType().GetMethod(method, BindingFlags.Public | BindingFlags.Instance)?.DeclaringType != typeof(Room);

    private void EncodeEntitySnapshotsLocked(TickInfo info)
    {
        _entities.Reset();
        EntityFrame frame;
        try
        {
            _room.WriteEntities(_entities);
            frame = _entities.Complete();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RoomHookFailed(Logger, ex, Name, "WriteEntities");
            return; // no snapshot this tick; clients keep the last one
        }

        foreach (Player player in _players.Values)
        {
            if (player.Session is { } session)
            {
                EncodeEntitySnapshot(player, session, frame, info);
            }
        }
    }

    private void EncodeEntitySnapshot(Player player, ITransportSession session, EntityFrame frame, TickInfo info)
    {
        SnapshotEncoder encoder = player.Snapshots ??= new SnapshotEncoder();
        if (_hasInterest)
        {
            player.Interest ??= new PlayerInterest(_room, player);
        }

        encoder.Acknowledge(player.SnapshotAck);
        int offset = _outboxBytes.WrittenCount;
        Span<byte> header = _outboxBytes.GetSpan(EntitySnapshotFraming.HeaderBytes);
        EntitySnapshotFraming.WriteHeader(header, player.LastProcessedInput, info.ServerTime);
        _outboxBytes.Advance(EntitySnapshotFraming.HeaderBytes);

        SnapshotEncodeResult result;
        try
        {
            result = encoder.Encode(frame, info.Number, PayloadBudget(session), player.Interest, _outboxBytes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RoomHookFailed(Logger, ex, Name, "TryGetInterest");
            encoder.Reset(); // what the encoder stored is unknown: start over with a full snapshot
            _outboxBytes.ResetWrittenCount();
            _outboxBytes.Advance(offset); // drop this player's partial message; earlier ones stay
            return;
        }

        Span<byte> message = MemoryMarshal.AsMemory(_outboxBytes.WrittenMemory).Span[offset..];
        EntitySnapshotFraming.SetPayloadLength(message, result.Bytes);
        AddToOutbox(session, offset, message.Length, result.IsFull ? OutboxKind.FullEntities : OutboxKind.DeltaEntities, result.RecordsDeferred);
    }

    /// <summary>
    /// Sends the tick's messages: those to sessions that share an I/O loop (WebTransport on one
    /// socket) in one visit to it, so the loop flushes once per tick rather than once per player.
    /// </summary>
    private void SendOutboxLocked()
    {
        foreach (UnreliableSendGroup group in _sendGroups)
        {
            group.Run((Host: this, Group: group), static s => s.Host.SendOutboxEntries(s.Group));
        }

        SendOutboxEntries(null);
    }

    /// <summary>Sends the entries of <paramref name="group"/>'s sessions, or (null) of sessions in no group.</summary>
    private void SendOutboxEntries(UnreliableSendGroup? group)
    {
        ReadOnlySpan<byte> bytes = _outboxBytes.WrittenSpan;
        foreach (OutboxEntry entry in _outbox)
        {
            if (!ReferenceEquals(entry.Group, group))
            {
                continue;
            }

            ITransportSession session = entry.Session;
            if (!session.SendUnreliable(ProtocolInfo.SnapshotChannel, bytes.Slice(entry.Offset, entry.Length)))
            {
                continue;
            }

            var transport = new KeyValuePair<string, object?>("transport", session.TransportName);
            _metrics.MessagesOut.Add(1, new KeyValuePair<string, object?>("channel", "unreliable"), transport);
            _metrics.BytesOut.Add(entry.Length, transport);
            if (entry.Kind != OutboxKind.State)
            {
                _metrics.EntitySnapshots.Add(1, new KeyValuePair<string, object?>("kind", entry.Kind == OutboxKind.FullEntities ? "full" : "delta"));
            }

            if (entry.Deferred > 0)
            {
                _metrics.DeferredEntities.Add(entry.Deferred);
            }
        }
    }

    /// <summary>The payload's byte budget: the configured snapshot size, within one datagram where the transport has datagrams.</summary>
    private SnapshotBudget PayloadBudget(ITransportSession session)
    {
        int message = Math.Min(_options.MaxSnapshotBytes, session.MaxUnreliableMessageBytes);
        int payload = message - EntitySnapshotFraming.HeaderBytes;

        // A peer that takes no (or absurdly small) datagrams: fall back to the configured size, which the transport splits.
        return new SnapshotBudget(payload >= SnapshotBudget.MinimumBytes ? payload : _options.MaxSnapshotBytes - EntitySnapshotFraming.HeaderBytes);
    }

    private enum OutboxKind : byte
    {
        State,
        FullEntities,
        DeltaEntities,
    }

    /// <summary>Queues one player's message (a slice of <see cref="_outboxBytes"/>), noting the send group of its session.</summary>
    private void AddToOutbox(ITransportSession session, int offset, int length, OutboxKind kind, int deferred)
    {
        UnreliableSendGroup? group = (session as IUnreliableSendBatching)?.SendGroup;
        if (group is not null && !_sendGroups.Contains(group))
        {
            _sendGroups.Add(group); // one per UDP socket: usually one, two with IPv4 and IPv6
        }

        _outbox.Add(new OutboxEntry(session, group, offset, length, kind, deferred));
    }

    /// <summary>One player's snapshot for this tick: a slice of <see cref="_outboxBytes"/>, and the send group it leaves with (null: alone).</summary>
    private readonly record struct OutboxEntry(ITransportSession Session, UnreliableSendGroup? Group, int Offset, int Length, OutboxKind Kind, int Deferred);

    /// <summary>The room's interest hook seen from one player, as the encoder asks it.</summary>
    private sealed class PlayerInterest(Room room, Player viewer) : IInterest
    {
        public bool TryGetPriority(uint entityId, out float priority) => room.TryGetInterest(viewer, entityId, out priority);
    }
}

/// <summary>
/// Writes <see cref="EntitySnapshotMessage"/> around a payload already in place: type byte, then the
/// MemoryPack body (3 members: lastProcessedInput u32, serverTime i64, payload byte[] as i32 length
/// and bytes), exactly what <see cref="MessageCodec"/> writes, without building the message object.
/// </summary>
internal static class EntitySnapshotFraming
{
    /// <summary>Type (1) + member count (1) + u32 + i64 + payload length i32.</summary>
    public const int HeaderBytes = 1 + 1 + 4 + 8 + 4;

    private const int MemberCount = 3;

    public static void WriteHeader(Span<byte> destination, uint lastProcessedInput, long serverTime)
    {
        destination[0] = (byte)MessageType.EntitySnapshot;
        destination[1] = MemberCount;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[2..], lastProcessedInput);
        BinaryPrimitives.WriteInt64LittleEndian(destination[6..], serverTime);
    }

    public static void SetPayloadLength(Span<byte> message, int payloadLength) =>
        BinaryPrimitives.WriteInt32LittleEndian(message[14..], payloadLength);
}
