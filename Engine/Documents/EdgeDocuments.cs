using System.Collections.Concurrent;
using Engine.Protocol;
using Engine.Rooms;
using Engine.State.Clock;
using Microsoft.Extensions.Logging;

namespace Engine.Documents;

/// <summary>
/// Document replicas of rooms this instance does not run but has relayed players in (it is their
/// edge). A relayed player's document writes are applied here, stamped by this instance's clock,
/// and replicated like any room's — not forwarded to the owner — so a player keeps writing the
/// document while its instance is cut off from the others, and the writes merge when the cut heals.
/// The owner's replica merges them and tells every member, the relayed ones included, from its tick.
/// A replica lives while this instance relays someone into the room.
/// </summary>
internal sealed class EdgeDocuments(HybridLogicalClock clock, Func<string, Room> roomFactory, ILogger logger)
{
    private readonly ConcurrentDictionary<string, Replica> _replicas = new(StringComparer.Ordinal);

    /// <summary>Rooms with an edge replica here.</summary>
    public int Count => _replicas.Count;

    /// <summary>Sends local writes; set by the replicator.</summary>
    public Action<string, DocumentDelta>? Publish { get; set; }

    /// <summary>Asks the other instances for a room's state; set by the replicator.</summary>
    public Action<string>? RequestState { get; set; }

    /// <summary>A relayed player entered <paramref name="room"/> through this instance.</summary>
    public void Enter(string room)
    {
        bool created = false;
        Replica replica = _replicas.AddOrUpdate(room, _ => { created = true; return new Replica(new RoomDocument(clock), roomFactory(room)); }, (_, r) => r);
        Interlocked.Increment(ref replica.Players);
        if (created)
        {
            RequestState?.Invoke(room);
        }
    }

    /// <summary>A relayed player of <paramref name="room"/> left or disconnected here.</summary>
    public void Exit(string room)
    {
        if (_replicas.TryGetValue(room, out Replica? replica) && Interlocked.Decrement(ref replica.Players) <= 0)
        {
            _replicas.TryRemove(KeyValuePair.Create(room, replica));
        }
    }

    /// <summary>The replica of <paramref name="room"/>, if this instance relays someone into it.</summary>
    public RoomDocument? Find(string room) => _replicas.TryGetValue(room, out Replica? replica) ? replica.Document : null;

    /// <summary>A copy of the replica's whole state, taken under its lock; null when there is no replica.</summary>
    public DocumentDelta? StateOf(string room)
    {
        if (!_replicas.TryGetValue(room, out Replica? replica))
        {
            return null;
        }

        lock (replica.Gate)
        {
            return replica.Document.ToState();
        }
    }

    /// <summary>Every edge replica (for anti-entropy).</summary>
    public IEnumerable<(string Room, Lock Gate, RoomDocument Document)> All => _replicas.Select(r => (r.Key, r.Value.Gate, r.Value.Document));

    /// <summary>Lock for merging into <paramref name="room"/>'s replica.</summary>
    public Lock? GateOf(string room) => _replicas.TryGetValue(room, out Replica? replica) ? replica.Gate : null;

    /// <summary>A relayed player's write: the room's rule (on a room object that does not tick), then the limits. Null, or the error to send.</summary>
    public (ErrorCode Code, string Message)? Write(string room, Player player, DocumentWrite write)
    {
        if (!_replicas.TryGetValue(room, out Replica? replica))
        {
            return (ErrorCode.InvalidState, "Join a room first.");
        }

        DocumentDelta? delta = null;
        (ErrorCode, string)? result;
        lock (replica.Gate)
        {
            bool allowed;
            try
            {
                allowed = replica.Rules.AuthorizeDocumentWrite(player, write);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Telemetry.Log.RoomHookFailed(logger, exception, room, "AuthorizeDocumentWrite");
                allowed = false;
            }

            if (!allowed)
            {
                return (ErrorCode.Unauthorized, write.RefusedMessage);
            }

            result = replica.Document.Apply(write) is { } refused ? (ErrorCode.InvalidArgument, refused) : null;
            replica.Document.TakeClientChanges(); // the owner tells the members
            if (replica.Document.TryTakeDelta(out DocumentDelta? taken))
            {
                delta = taken;
            }
        }

        if (delta is not null)
        {
            Publish?.Invoke(room, delta); // outside the lock: an in-process bus delivers synchronously
        }

        return result;
    }

    private sealed class Replica(RoomDocument document, Room rules)
    {
        public int Players;

        public RoomDocument Document { get; } = document;

        public Room Rules { get; } = rules;

        public Lock Gate { get; } = new();
    }
}
