using Engine.Documents;
using Engine.Protocol;

namespace Engine.Rooms;

internal sealed partial class RoomHost
{
    private readonly RoomDocument _document;
    private readonly DocumentReplicator? _replicator;

    /// <summary>The room's document replica, for the game's hooks (which hold the lock).</summary>
    internal RoomDocument DocumentUnsafe => _document;

    /// <summary>
    /// A player's write to the document: the room's <see cref="Room.AuthorizeDocumentWrite"/> hook
    /// decides, then the document's limits. Clients and the other instances hear of it after the
    /// next tick. Returns null, or the error to send back.
    /// </summary>
    public (ErrorCode Code, string Message)? WriteDocument(Player player, DocumentWrite write)
    {
        lock (_gate)
        {
            if (_closed || !_players.ContainsKey(player.Id))
            {
                return (ErrorCode.InvalidState, "Join a room first.");
            }

            bool allowed = false;
            Guard("AuthorizeDocumentWrite", () => allowed = _room.AuthorizeDocumentWrite(player, write));
            if (!allowed)
            {
                return (ErrorCode.Unauthorized, write.RefusedMessage);
            }

            return _document.Apply(write) is { } refused ? (ErrorCode.InvalidArgument, refused) : null;
        }
    }

    /// <summary>Runs <paramref name="use"/> on the document under the room lock (replication: merging, pruning, states).</summary>
    internal T UseDocument<T>(Func<RoomDocument, T> use)
    {
        lock (_gate)
        {
            return use(_document);
        }
    }

    /// <summary>A copy of the whole replica, for another instance.</summary>
    internal DocumentDelta DocumentState()
    {
        lock (_gate)
        {
            return _document.ToState();
        }
    }

    /// <summary>
    /// After the tick: tells the members what changed (one message for the tick's writes and
    /// merges) and returns the local writes to replicate, sent once the lock is released.
    /// </summary>
    private DocumentDelta? FlushDocumentLocked()
    {
        if (_document.HasClientChanges)
        {
            (List<KeyValuePair<string, string?>> entries, List<KeyValuePair<string, long>> counters) = _document.TakeClientChanges();
            SendToAll(MessageCodec.ToArray(new DocumentChangedMessage
            {
                Entries = [.. entries.Select(e => new DocumentEntry { Key = e.Key, Value = e.Value })],
                Counters = [.. counters.Select(c => new DocumentCounter { Name = c.Key, Value = c.Value })],
            }));
        }

        return _replicator is not null && _document.TryTakeDelta(out DocumentDelta? delta) ? delta : null;
    }

    /// <summary>The whole document, after a join or resume (the client replaces its copy).</summary>
    private void SendDocument(Player player) =>
        Send(player, MessageCodec.ToArray(new DocumentChangedMessage
        {
            Full = true,
            Entries = [.. _document.Items.Select(e => new DocumentEntry { Key = e.Key, Value = e.Value })],
            Counters = [.. _document.Counters.Select(c => new DocumentCounter { Name = c.Key, Value = c.Value })],
        }));
}
