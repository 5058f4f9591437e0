using Engine.Cluster;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Telemetry;

namespace Engine.Sessions;

/// <summary>
/// Resuming a seat this instance did not hand out (clustered): the session's token is looked up in
/// the seat records, and the session is recreated here — re-linked to the room's owner, or bound to
/// the seat the room restored when it moved here.
/// </summary>
internal sealed partial class ClientConnection
{
    /// <summary>
    /// Before a Hello with a resume token this instance does not know: finds the seat in the records,
    /// so the Hello resumes it like a session of this instance. Finds nothing (and changes nothing) when
    /// not clustered, when the seat is not recorded, or when the records cannot be reached: the Hello
    /// then answers ResumeFailed, and the client joins again.
    /// </summary>
    private async ValueTask FindRecordedSessionAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!_services.Seats.IsDurable || payload.IsEmpty || (MessageType)payload.Span[0] != MessageType.Hello)
        {
            return;
        }

        HelloMessage hello = MessageCodec.Read<HelloMessage>(payload.Span);
        if (hello.ResumeToken is not { Length: > 0 } token || hello.ProtocolVersion != ProtocolInfo.Version || _services.Sessions.Find(token) is not null)
        {
            return;
        }

        SeatLookup found;
        string? owner;
        try
        {
            if (await _services.Seats.FindAsync(SeatRecord.HashToken(token), cancellationToken) is not { } lookup)
            {
                return;
            }

            found = lookup;
            owner = await _services.Leases.AcquireOrFindOwnerAsync(found.Room, cancellationToken);
        }
        catch (ClusterUnavailableException exception)
        {
            Log.MalformedMessage(_logger, _transport.Id, "resume without the seat records: " + exception.Message);
            return;
        }

        SeatLog.Found(_logger, found.Seat.SessionId, found.Room);
        SessionState session = _services.Sessions.Adopt(found.Seat.SessionId, found.Seat.PlayerId, token);
        if (owner != _services.Relay.InstanceId)
        {
            // The room runs elsewhere: the Hello re-links this session to it, and the owner resumes the seat.
            session.RelayRoom = found.Room;
            session.RelayName = found.Seat.Name;
            return;
        }

        try
        {
            BindRestoredSeat(session, await _services.Rooms.GetOrCreateAsync(found.Room, cancellationToken));
        }
        catch (ClusterUnavailableException exception)
        {
            Log.MalformedMessage(_logger, _transport.Id, "resume without the room: " + exception.Message);
        }
    }

    /// <summary>Gives <paramref name="session"/> its seat in <paramref name="room"/>, if the room holds one for its token.</summary>
    private static void BindRestoredSeat(SessionState session, RoomHost? room)
    {
        if (room?.FindSeat(session.TokenHash) is { } player && player.Id == session.PlayerId)
        {
            session.Room = room;
            session.Player = player;
        }
    }

    /// <summary>Edge side: the relayed room moved to this instance; resumes the seat it restored, else ResumeFailed.</summary>
    private async ValueTask ResumeRestoredSeatAsync(string room, long lastSequence, CancellationToken cancellationToken)
    {
        SessionState session = _session!;
        if (await EnsureLocalRoomAsync(room, cancellationToken))
        {
            BindRestoredSeat(session, _services.Rooms.Find(room));
        }

        if (session is { Room: { } host, Player: { } player } && host.TryResume(player, _transport, lastSequence, out bool needsStore))
        {
            if (needsStore)
            {
                await ResumeFromStoreAsync(host, player, lastSequence, cancellationToken);
            }

            return;
        }

        session.Room = null;
        session.Player = null;
        SendError(ErrorCode.ResumeFailed, "The session resumed without a room seat; join again.");
    }
}
