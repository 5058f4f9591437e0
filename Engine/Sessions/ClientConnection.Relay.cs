using Engine.Cluster;
using Engine.Documents;
using Engine.Protocol;
using Engine.Rooms;
using Engine.Sessions.Relay;
using Engine.Telemetry;

namespace Engine.Sessions;

/// <summary>
/// Rooms across instances. On the <em>edge</em> (the instance the client reached), a join asks the
/// room leases which instance owns the room; when it is another, this connection becomes a pipe:
/// every later message goes to the owner as it came (reliable or not), until the client leaves and
/// joins elsewhere, or disconnects. On the <em>owner</em>, a relayed client is a connection built
/// with the edge's <see cref="RelayAttach"/>: its session is the edge's, adopted here.
/// </summary>
internal sealed partial class ClientConnection
{
    private readonly RelayAttach? _relayedFrom;
    private EdgeLink? _edgeLink;

    /// <summary>This connection's client, relayed to another instance (edge side).</summary>
    private sealed class EdgeLink(string owner, long id, string room, string name)
    {
        public string Owner { get; } = owner;

        public long Id { get; } = id;

        public string Room { get; } = room;

        /// <summary>The name the client joined with (for the room's document rules, applied here).</summary>
        public string Name { get; } = name;

        /// <summary>The client sent Leave through the link: its next Join is routed afresh.</summary>
        public bool LeftRoom { get; set; }
    }

    /// <summary>
    /// Edge side: one message of a relayed client. Document writes are applied to this instance's
    /// replica of the room (so they survive a cut between instances); everything else goes to the owner.
    /// </summary>
    private void RelayFromEdge(EdgeLink link, ReadOnlySpan<byte> message, bool reliable)
    {
        MessageType type = (MessageType)message[0];
        if (!link.LeftRoom && type is MessageType.DocumentSet or MessageType.DocumentRemove or MessageType.DocumentIncrement)
        {
            DocumentWrite write = ReadDocumentWrite(type, message);
            if (!TakeDocumentWrite())
            {
                return;
            }

            if (_services.EdgeDocuments.Write(link.Room, new Player(_session!.PlayerId, link.Name), write) is { } refused)
            {
                SendError(refused.Code, refused.Message);
            }

            return;
        }

        _services.Relay.Forward(link.Owner, link.Id, message, reliable);
        if (type == MessageType.Leave && !link.LeftRoom)
        {
            link.LeftRoom = true;
            _services.EdgeDocuments.Exit(link.Room);
            if (_session is { } left)
            {
                left.RelayRoom = null;
            }
        }
    }

    /// <summary>Owner side: a connection for a client relayed from an edge instance.</summary>
    public ClientConnection(RelayTransportSession transport, Hosting.EngineServices services, RelayAttach attach)
        : this(transport, services)
    {
        _relayedFrom = attach;
    }

    /// <summary>Owner side, before the first message: takes over the edge's session, and resumes its seat when asked.</summary>
    private void AdoptRelayedSession()
    {
        RelayAttach attach = _relayedFrom!;
        SessionState session = _services.Sessions.Adopt(attach.SessionId, attach.PlayerId, attach.ResumeToken);
        TakeOver(session);
        if (attach.ResumeLastSequence < 0)
        {
            return;
        }

        if (session.Room is null && attach.Room.Length > 0)
        {
            BindRestoredSeat(session, _services.Rooms.Find(attach.Room)); // the room moved here: its seats were restored
        }

        if (session is { Room: { } room, Player: { } player } && room.TryResume(player, _transport, attach.ResumeLastSequence, out bool needsStore))
        {
            if (needsStore)
            {
                _storeResume = (room, player, attach.ResumeLastSequence);
            }

            return;
        }

        session.Room = null;
        session.Player = null;
        SendError(ErrorCode.ResumeFailed, "The session resumed without a room seat; join again.");
    }

    /// <summary>
    /// Edge side: routes a Join (relayed messages never get here: the receive loop forwards them).
    /// True when the join went to another instance (or was refused); false: dispatch it here.
    /// </summary>
    private async ValueTask<bool> TryRouteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.IsEmpty || (MessageType)payload.Span[0] != MessageType.Join)
        {
            return false;
        }

        EndEdgeLink(); // a Join after leaving a relayed room: routed afresh
        if (_session is not { Room: null } session)
        {
            return false;
        }

        JoinMessage join = MessageCodec.Read<JoinMessage>(payload.Span);
        if (!RoomNames.IsValid(join.Room))
        {
            return false; // OnJoin answers with the rule
        }

        // The owner side never relays again: a relayed join is for a room this instance runs.
        string? owner = _relayedFrom is not null ? _services.Relay.InstanceId : await FindOwnerAsync(join.Room, cancellationToken);
        if (owner is null)
        {
            return true; // refused with Unavailable
        }

        if (owner == _services.Relay.InstanceId)
        {
            return !await EnsureLocalRoomAsync(join.Room, cancellationToken); // then OnJoin seats the player
        }

        session.RelayRoom = join.Room;
        session.RelayName = join.Name;
        StartEdgeLink(owner, join.Room, resumeLastSequence: -1);
        _services.Relay.Forward(owner, _edgeLink!.Id, payload.Span, reliable: true);
        return true;
    }

    /// <summary>
    /// Creates the room here if it is not yet (reading where its durable events ended, so numbering
    /// continues). False when the store could not be reached (the client got Unavailable).
    /// </summary>
    private async ValueTask<bool> EnsureLocalRoomAsync(string room, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Rooms.GetOrCreateAsync(room, cancellationToken);
            return true;
        }
        catch (ClusterUnavailableException exception)
        {
            Log.MalformedMessage(_logger, _transport.Id, "room creation failed: " + exception.Message);
            SendError(ErrorCode.Unavailable, $"The cluster's event store could not be reached to open room '{room}'; try again.");
            return false;
        }
    }

    /// <summary>Most events a resume reads back from the durable store; a longer gap resyncs instead.</summary>
    private const int MaxStoredReplay = 10_000;

    /// <summary>
    /// A resume that reaches back beyond the room's replay ring: reads the older events from the
    /// durable store (JetStream) and resumes with them, so the client still gets every event once,
    /// in order (<c>recovered: true</c>). When the store cannot give them all, the resume resyncs.
    /// </summary>
    private async ValueTask ResumeFromStoreAsync(RoomHost room, Player player, long lastSequence, CancellationToken cancellationToken)
    {
        IReadOnlyList<StoredRoomEvent> stored = [];
        long wanted = room.OldestHeldSequence - 1 - lastSequence;
        if (wanted is > 0 and <= MaxStoredReplay && room.Store is { } store)
        {
            try
            {
                (IReadOnlyList<StoredRoomEvent> events, bool complete) = await store.ReadAfterAsync(room.Name, lastSequence, (int)wanted, cancellationToken);
                stored = complete ? events : [];
            }
            catch (ClusterUnavailableException exception)
            {
                Log.MalformedMessage(_logger, _transport.Id, "resume without the stored events: " + exception.Message);
            }
        }

        if (!room.TryResume(player, _transport, lastSequence, out _, stored) && _session is { } session)
        {
            session.Room = null;
            session.Player = null;
            SendError(ErrorCode.ResumeFailed, "The session resumed without a room seat; join again.");
        }
    }

    /// <summary>Edge side, after a resumed Hello: a session whose room is on another instance re-links to it.</summary>
    private async ValueTask RelinkResumedAsync(long lastSequence, CancellationToken cancellationToken)
    {
        if (_session is not { RelayRoom: { } room } || _edgeLink is not null)
        {
            return;
        }

        string? owner = await FindOwnerAsync(room, cancellationToken);
        if (owner is null)
        {
            return;
        }

        if (owner == _services.Relay.InstanceId)
        {
            // The room moved here meanwhile: its seat was restored from the records (if it was recorded).
            _session.RelayRoom = null;
            await ResumeRestoredSeatAsync(room, lastSequence, cancellationToken);
            return;
        }

        StartEdgeLink(owner, room, lastSequence);
    }

    private async ValueTask<string?> FindOwnerAsync(string room, CancellationToken cancellationToken)
    {
        try
        {
            return await _services.Leases.AcquireOrFindOwnerAsync(room, cancellationToken);
        }
        catch (ClusterUnavailableException exception)
        {
            Log.MalformedMessage(_logger, _transport.Id, "room lookup failed: " + exception.Message);
            SendError(ErrorCode.Unavailable, $"The cluster could not be reached to find room '{room}'; try again.");
            return null;
        }
    }

    private void StartEdgeLink(string owner, string room, long resumeLastSequence)
    {
        SessionState session = _session!;
        var attach = new RelayAttach
        {
            SessionId = session.SessionId,
            PlayerId = session.PlayerId,
            ResumeToken = session.ResumeToken,
            TransportName = _transport.TransportName,
            MaxUnreliableMessageBytes = _transport.MaxUnreliableMessageBytes,
            ResumeLastSequence = resumeLastSequence,
            Room = room,
        };
        _services.EdgeDocuments.Enter(room);
        long id = _services.Relay.Open(this, owner, room, attach);
        _edgeLink = new EdgeLink(owner, id, room, session.RelayName);
    }

    private void EndEdgeLink()
    {
        if (_edgeLink is { } link)
        {
            _edgeLink = null;
            _services.Relay.Close(link.Owner, link.Id);
            if (!link.LeftRoom)
            {
                _services.EdgeDocuments.Exit(link.Room);
            }
        }
    }

    /// <summary>Edge side, on the I/O thread: a datagram for a relayed client goes to the owner as it is.</summary>
    private bool TryRelayUnreliable(ReadOnlySpan<byte> message)
    {
        if (Volatile.Read(ref _edgeLink) is not { } link)
        {
            return false;
        }

        _services.Relay.Forward(link.Owner, link.Id, message, reliable: false);
        return true;
    }
}
