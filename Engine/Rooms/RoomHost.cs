using System.Buffers;
using System.Diagnostics;
using Engine.Documents;
using Engine.Hosting;
using Engine.Protocol;
using Engine.Telemetry;
using Engine.Transport.Abstractions;
using Microsoft.Extensions.Logging;

namespace Engine.Rooms;

/// <summary>
/// Runs one room: its members, its lock, its replay buffer, its tick loop and its spectators.
/// Every entry point takes <see cref="_gate"/>, so the game's <see cref="Room"/> hooks run one at a
/// time. Split by concern: membership here, <c>RoomHost.Tick.cs</c>, <c>RoomHost.Events.cs</c>.
/// </summary>
internal sealed partial class RoomHost : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Room _room;
    private readonly EngineOptions _options;
    private readonly EngineMetrics _metrics;
    private readonly Dictionary<int, Player> _players = [];
    private readonly List<(Player Player, string Reason)> _pendingKicks = [];
    private readonly EventLog _events;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private bool _closed;
    private long _emptySince;
    private bool _presenceDirty;
    private long _presenceSentAt;

    /// <summary>Member lists sent so far (a diagnostic for tests).</summary>
    internal long PresenceBroadcasts { get; private set; }

    /// <summary>The shortest time between two Presence messages of one room.</summary>
    internal static readonly TimeSpan PresenceInterval = TimeSpan.FromMilliseconds(250);

    public RoomHost(string name, Room room, EngineOptions options, EngineMetrics metrics, TimeProvider time, ILogger logger, RoomDocument document, DocumentReplicator? replicator = null)
    {
        _document = document;
        _replicator = replicator;
        Name = name;
        _room = room;
        _options = options;
        _metrics = metrics;
        Time = time;
        Logger = logger;
        TickRate = options.TickRate;
        _events = new EventLog(options.ReplayBufferSize);
        _emptySince = time.GetTimestamp();
        _usesEntities = Overrides(room, nameof(Room.WriteEntities));
        _hasInterest = _usesEntities && Overrides(room, nameof(Room.TryGetInterest));
        room.Context = new RoomContext(this);
    }

    public string Name { get; }

    public int TickRate { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>The players, for the room's own hooks (which already hold the lock).</summary>
    internal IReadOnlyCollection<Player> PlayersUnsafe => _players.Values;

    public int PlayerCount
    {
        get
        {
            lock (_gate)
            {
                return _players.Count;
            }
        }
    }

    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _events.LastSequence;
            }
        }
    }

    public void Start()
    {
        lock (_gate)
        {
            Guard("OnCreated", () => _room.OnCreated());
        }

        _loop = Task.Run(() => RunTickLoopAsync(_stop.Token));
    }

    /// <summary>Seats a new player and sends it the room; null on success, else why not.</summary>
    public ErrorCode? TryJoin(Player player, ITransportSession session)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return ErrorCode.InvalidState;
            }

            if (_players.Count >= _options.RoomCapacity)
            {
                return ErrorCode.RoomFull;
            }

            if (_players.ContainsKey(player.Id))
            {
                // Two sessions with one player id in one room: instances of a cluster start their
                // ids at random points, so this is rare; the joiner is refused, not the seated player.
                return ErrorCode.InvalidState;
            }

            player.Session = session;
            player.ResetSnapshots();
            player.LastSeen = Time.GetTimestamp();
            _players.Add(player.Id, player);
            player.IsSeated = true;
            _metrics.Players.Add(1);
            Guard("OnJoin", () => _room.OnJoin(player));
            ApplyPendingKicks();
            SendJoinAccepted(player, recovered: true);
            Publish(new JoinedMessage { Sequence = NextSequence(), PlayerId = player.Id, Name = player.Name }, "joined");
            BroadcastPresence();
            RecordSeatsLocked();
            Log.PlayerJoined(Logger, player.ToString(), Name);
            return null;
        }
    }

    /// <summary>Closes every player's connection (the room is going away here); seats stay until dispose.</summary>
    public void CloseAllSessions(SessionCloseCode code, string reason)
    {
        lock (_gate)
        {
            foreach (Player player in _players.Values)
            {
                if (player.Session is { } session)
                {
                    _ = session.CloseAsync(code, reason).AsTask();
                }
            }
        }
    }

    /// <summary>Removes a player for good.</summary>
    public void Leave(Player player, string reason)
    {
        lock (_gate)
        {
            RemoveLocked(player, reason);
        }
    }

    /// <summary>The player's connection is gone: hold its seat for the reconnect grace.</summary>
    public void Detach(Player player, ITransportSession session)
    {
        lock (_gate)
        {
            if (!_players.ContainsKey(player.Id) || !ReferenceEquals(player.Session, session))
            {
                return; // already left, or already resumed on a newer connection
            }

            if (_options.ReconnectGrace <= TimeSpan.Zero)
            {
                RemoveLocked(player, "disconnected");
                return;
            }

            player.Session = null;
            player.HeldUntil = Time.GetTimestamp() + (long)(_options.ReconnectGrace.TotalSeconds * Time.TimestampFrequency);
            ClearTyping(player);
            BroadcastPresence();
        }
    }

    /// <summary>
    /// Re-attaches a held (or still attached) player to a new session and replays what it missed
    /// after <paramref name="lastSequence"/>; false if the player is no longer seated. With a
    /// durable store, when the replay ring no longer reaches back to <paramref name="lastSequence"/>,
    /// it changes nothing and asks for the older events instead (<paramref name="needsStoreFrom"/>
    /// set): the caller reads them from the store and calls again with <paramref name="stored"/>.
    /// </summary>
    public bool TryResume(Player player, ITransportSession session, long lastSequence, out bool needsStoreFrom, IReadOnlyList<Cluster.StoredRoomEvent>? stored = null)
    {
        lock (_gate)
        {
            needsStoreFrom = false;
            if (_closed || !_players.ContainsKey(player.Id))
            {
                return false;
            }

            bool recovered = _events.TryGetSince(lastSequence, out List<RoomEvent> missed);
            List<byte[]> older = [];
            if (player.RestoredAfter >= 0 && lastSequence > player.RestoredAfter)
            {
                // The client saw events the room's earlier owner never stored: this instance cannot know
                // them, nor replay past them without a gap. It gets the full state instead.
                recovered = false;
            }
            else if (!recovered && _store is not null && lastSequence >= 0 && lastSequence < _events.OldestSequence - 1)
            {
                if (stored is null)
                {
                    needsStoreFrom = true;
                    return true;
                }

                // The stored events must join the ring's without a gap: lastSequence + 1 … oldest − 1.
                long next = lastSequence + 1;
                foreach (Cluster.StoredRoomEvent e in stored)
                {
                    if (e.Sequence == next)
                    {
                        older.Add(e.Message.ToArray());
                        next++;
                    }
                }

                recovered = next >= _events.OldestSequence && _events.TryGetSince(next - 1, out missed);
                if (!recovered)
                {
                    older.Clear();
                }
            }

            player.Session = session;
            player.RestoredAfter = -1;
            player.ResetSnapshots(); // the new connection's client holds no snapshot: the next one is full
            player.LastSeen = Time.GetTimestamp();
            SendJoinAccepted(player, recovered);
            if (recovered)
            {
                foreach (byte[] e in older)
                {
                    Send(player, e);
                }

                foreach (RoomEvent e in missed)
                {
                    Send(player, e.Binary);
                }
            }

            BroadcastPresence();
            Log.PlayerResumed(Logger, player.ToString(), Name, lastSequence, recovered);
            return true;
        }
    }

    /// <summary>The room's durable store, when it has one (for a resume that reaches back beyond the ring).</summary>
    internal Cluster.IRoomEventStore? Store => _store;

    /// <summary>The oldest sequence the replay ring holds.</summary>
    internal long OldestHeldSequence
    {
        get
        {
            lock (_gate)
            {
                return _events.OldestSequence;
            }
        }
    }

    /// <summary>The room's latest event sequence.</summary>
    internal long LatestSequence
    {
        get
        {
            lock (_gate)
            {
                return _events.LastSequence;
            }
        }
    }

    public void Chat(Player player, string text)
    {
        lock (_gate)
        {
            if (!_players.ContainsKey(player.Id))
            {
                return;
            }

            ClearTyping(player);
            Publish(new ChatPostedMessage { Sequence = NextSequence(), PlayerId = player.Id, Name = player.Name, Text = text, ServerTime = UnixMs() }, "chat");
        }
    }

    public void Typing(Player player, bool isTyping)
    {
        lock (_gate)
        {
            if (!_players.ContainsKey(player.Id))
            {
                return;
            }

            bool was = player.TypingUntil != 0;
            player.TypingUntil = isTyping ? Time.GetTimestamp() + (long)(_options.TypingTimeout.TotalSeconds * Time.TimestampFrequency) : 0;
            if (was != isTyping)
            {
                SendToAll(MessageCodec.ToArray(new TypingChangedMessage { PlayerId = player.Id, IsTyping = isTyping }));
            }
        }
    }

    /// <summary>
    /// Queues an input for the next tick. Safe from any thread, without the room's lock (so a QUIC
    /// driver thread handing over a datagram never waits for a tick); an input racing a leave is
    /// simply never applied.
    /// </summary>
    public void Input(Player player, uint sequence, uint clientTick, ReadOnlySpan<byte> data)
    {
        if (player.IsSeated && !player.EnqueueInput(sequence, clientTick, data))
        {
            _metrics.Drops.Add(1, new KeyValuePair<string, object?>("reason", "input_queue_full"));
        }
    }

    /// <summary>Marks the player as heard from (any message counts as a heartbeat).</summary>
    public static void Touch(Player player, long timestamp) => player.LastSeen = timestamp;

    /// <summary>Called from the room's hooks: the kick is carried out after the current hook, so hooks may kick while iterating players.</summary>
    public void Kick(Player player, string reason) => _pendingKicks.Add((player, reason));

    /// <summary>Closes the room if it has been empty (no players, no spectators) for <paramref name="idle"/>.</summary>
    public bool TryCloseIfIdle(TimeSpan idle)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return true;
            }

            if (_players.Count > 0 || _spectators.Count > 0 || Time.GetElapsedTime(_emptySince) < idle)
            {
                return false;
            }

            _closed = true;
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _closed = true;
        }

        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        lock (_gate)
        {
            foreach (SpectatorFeed feed in _spectators)
            {
                feed.Complete();
            }

            _spectators.Clear();
            Guard("OnDisposed", () => _room.OnDisposed());
        }

        try
        {
            await FinishStoringAsync();
        }
        catch (TimeoutException)
        {
            Log.EventsStoring(Logger, Name, "abandoned at dispose: the store stayed away");
        }

        _stop.Dispose();
    }

    private void ApplyPendingKicks()
    {
        for (int i = 0; i < _pendingKicks.Count; i++)
        {
            (Player player, string reason) = _pendingKicks[i];
            ITransportSession? session = player.Session;
            RemoveLocked(player, "kicked");
            if (session is not null)
            {
                _ = CloseQuietlyAsync(session, SessionCloseCode.PolicyViolation, "kicked: " + reason);
            }
        }

        _pendingKicks.Clear();
    }

    private static async Task CloseQuietlyAsync(ITransportSession session, SessionCloseCode code, string reason)
    {
        try
        {
            await session.CloseAsync(code, reason);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The session is going away either way; its own log line says how.
        }
    }

    private void RemoveLocked(Player player, string reason)
    {
        if (!_players.Remove(player.Id))
        {
            return;
        }

        player.IsSeated = false;

        ITransportSession? leaving = player.Session;
        player.Session = null;
        _metrics.Players.Add(-1);
        ClearTyping(player);
        Guard("OnLeave", () => _room.OnLeave(player, reason));
        RoomEvent left = Publish(new LeftMessage { Sequence = NextSequence(), PlayerId = player.Id, Reason = reason }, "left");
        leaving?.TrySendReliable(left.Binary); // the leaver learns its own leave too (an acknowledgement)
        BroadcastPresence();
        RecordSeatsLocked();
        Log.PlayerLeft(Logger, player.ToString(), Name, reason);
        if (_players.Count == 0)
        {
            _emptySince = Time.GetTimestamp();
        }
    }

    private void SendJoinAccepted(Player player, bool recovered)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        Guard("WriteState", () => _room.WriteState(writer));
        Send(player, MessageCodec.ToArray(new JoinAcceptedMessage
        {
            Room = Name,
            PlayerId = player.Id,
            Sequence = _events.LastSequence,
            Recovered = recovered,
            Members = MembersLocked(),
            State = writer.WrittenSpan.ToArray(),
            TickRate = TickRate,
        }));
        SendDocument(player);
    }

    private RoomMember[] MembersLocked() =>
        [.. _players.Values.Select(p => new RoomMember { PlayerId = p.Id, Name = p.Name, Online = p.IsOnline })];

    /// <summary>
    /// Marks the member list changed. The list itself goes out from the tick (<see cref="FlushPresenceLocked"/>),
    /// at most once per <see cref="PresenceInterval"/>: a burst of joins costs one list per interval
    /// instead of one per join, each the size of the room, to every member (quadratic in a big room).
    /// Joins and leaves are announced at once by their events.
    /// </summary>
    private void BroadcastPresence() => _presenceDirty = true;

    /// <summary>Sends the member list when it changed and the interval since the last one has passed (tick, under the lock).</summary>
    private void FlushPresenceLocked(long now)
    {
        if (!_presenceDirty || (_presenceSentAt != 0 && Time.GetElapsedTime(_presenceSentAt, now) < PresenceInterval))
        {
            return;
        }

        _presenceDirty = false;
        _presenceSentAt = now;
        PresenceBroadcasts++;
        SendToAll(MessageCodec.ToArray(new PresenceMessage { Members = MembersLocked() }));
    }

    private void ClearTyping(Player player)
    {
        if (player.TypingUntil != 0)
        {
            player.TypingUntil = 0;
            SendToAll(MessageCodec.ToArray(new TypingChangedMessage { PlayerId = player.Id, IsTyping = false }));
        }
    }

    private long NextSequence() => _events.LastSequence + 1;

    private long UnixMs() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    // A game's hook that throws must not take the room or the server down with it.
    private void Guard(string hook, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RoomHookFailed(Logger, ex, Name, hook);
        }
    }

    [Conditional("DEBUG")]
    private void AssertLocked() => Debug.Assert(_gate.IsHeldByCurrentThread, "the room lock must be held");
}
