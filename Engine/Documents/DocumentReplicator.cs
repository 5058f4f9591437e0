using Engine.Cluster;
using Engine.Rooms;
using Engine.State.Clock;
using Engine.State.Serialization;
using Engine.Telemetry;
using Microsoft.Extensions.Logging;

namespace Engine.Documents;

/// <summary>
/// Keeps the replicas of each room document converging across instances, over the cluster bus on
/// <c>doc.&lt;room&gt;</c>: a room's local writes leave as deltas after each tick; a room created
/// here asks the others for their state; after every reconnect, and every
/// <see cref="AntiEntropyInterval"/>, each room sends its whole replica, so whatever a partition or
/// a dropped message lost is repaired (merging is idempotent). A message that does not decode, or
/// that the document refuses (limits, a timestamp too far ahead), is dropped whole, counted and
/// logged; nothing else changes. Tombstones are pruned on a horizon the replicas agree on
/// (<c>DocumentReplicator.Pruning.cs</c>, <see cref="PruningHorizon"/>).
/// </summary>
internal sealed partial class DocumentReplicator : IAsyncDisposable
{
    /// <summary>The subject prefix; the room name follows.</summary>
    public const string SubjectPrefix = "doc.";

    /// <summary>How often each room re-sends its whole replica.</summary>
    public static readonly TimeSpan AntiEntropyInterval = TimeSpan.FromSeconds(30);

    /// <summary>Shortest time between two state replies of one room (many peers may ask at once).</summary>
    private static readonly TimeSpan StateReplyInterval = TimeSpan.FromMilliseconds(200);

    private readonly IClusterBus _bus;
    private readonly TimeProvider _time;
    private readonly HybridLogicalClock _clock;
    private readonly long _started;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _lastStateReply = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private IAsyncDisposable? _subscription;
    private ITimer? _antiEntropy;
    private Func<string, RoomHost?> _find = _ => null;
    private Func<IReadOnlyList<RoomHost>> _all = () => [];
    private long _published;
    private long _merged;
    private long _refused;
    private long _malformed;

    private readonly EdgeDocuments _edge;

    public DocumentReplicator(IClusterBus bus, TimeProvider time, ILoggerFactory loggers, EdgeDocuments edge, HybridLogicalClock clock)
    {
        _bus = bus;
        _clock = clock;
        _started = time.GetTimestamp();
        _edge = edge;
        edge.Publish = PublishDelta;
        edge.RequestState = RequestState;
        _time = time;
        _logger = loggers.CreateLogger("Engine.Documents");
    }

    /// <summary>Messages published.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Deltas and states from other instances merged.</summary>
    public long Merged => Interlocked.Read(ref _merged);

    /// <summary>Messages from other instances the document refused (limits, timestamps too far ahead).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Messages that did not decode.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Starts replicating the rooms <paramref name="find"/> and <paramref name="all"/> report.</summary>
    public void Attach(Func<string, RoomHost?> find, Func<IReadOnlyList<RoomHost>> all)
    {
        _find = find;
        _all = all;
        _subscription = _bus.Subscribe(SubjectPrefix + "*", OnMessage);
        _bus.ConnectionChanged += OnConnectionChanged;
        _antiEntropy = _time.CreateTimer(_ => RunAntiEntropy(), null, AntiEntropyInterval, AntiEntropyInterval);
    }

    /// <summary>Sends a room's local writes (called after its tick, outside the room lock).</summary>
    public void PublishDelta(string room, DocumentDelta delta) =>
        Send(room, new DocumentReplicationMessage { Kind = DocumentReplicationKind.Delta, Document = delta });

    /// <summary>A room is new here: asks the instances that already host it for their replicas.</summary>
    public void RequestState(string room) =>
        Send(room, new DocumentReplicationMessage { Kind = DocumentReplicationKind.StateRequest });

    private void Send(string room, DocumentReplicationMessage message)
    {
        if (_bus.Publish(SubjectPrefix + room, StateCodec.Encode(message)))
        {
            Interlocked.Increment(ref _published);
        }
    }

    private void OnMessage(ClusterMessage message)
    {
        if (message.SenderInstance == _bus.InstanceId)
        {
            return;
        }

        string roomName = message.Subject[SubjectPrefix.Length..];
        string sender = message.SenderInstance ?? "unknown";
        if (!RoomNames.IsValid(roomName))
        {
            return;
        }

        RoomHost? room = _find(roomName);
        Lock? edgeGate = room is null ? _edge.GateOf(roomName) : null;
        if (room is null && edgeGate is null)
        {
            return; // a room not hosted here: its replicas live elsewhere
        }

        DocumentReplicationMessage decoded;
        try
        {
            decoded = StateCodec.Decode<DocumentReplicationMessage>(message.Payload.Span);
        }
        catch (StateDecodeException exception)
        {
            Interlocked.Increment(ref _malformed);
            Log.DocumentRefused(_logger, roomName, sender, exception.Message);
            return;
        }

        var replica = new HostedReplica(room, edgeGate, roomName);
        switch (decoded.Kind)
        {
            case DocumentReplicationKind.Delta or DocumentReplicationKind.State when decoded.Document is not null:
                if ((CheckProgress(decoded) ?? Merge(replica, message.SenderInstance, decoded)) is { } reason)
                {
                    Interlocked.Increment(ref _refused);
                    Log.DocumentRefused(_logger, roomName, sender, reason);
                }
                else
                {
                    Interlocked.Increment(ref _merged);
                }

                break;
            case DocumentReplicationKind.StateRequest:
                TimeSpan now = Now;
                bool reply = ShouldReply(roomName);
                DocumentReplicationMessage? state = Use(replica, document =>
                {
                    if (message.SenderInstance is { } asking)
                    {
                        document.Horizon.Heard(asking, now); // a new replica: no pruning until it reports
                    }

                    return reply ? StateOf(document, now) : null;
                });
                if (state is not null)
                {
                    Send(roomName, state);
                }

                break;
            default:
                Interlocked.Increment(ref _malformed);
                Log.DocumentRefused(_logger, roomName, sender, $"kind {decoded.Kind} without a document");
                break;
        }
    }

    /// <summary>
    /// Merges a delta or state under the replica's lock; after a state, records what its sender
    /// has seen and prunes what the horizon now allows. Null when merged, else why it was refused.
    /// </summary>
    private string? Merge(HostedReplica replica, string? sender, DocumentReplicationMessage message)
    {
        TimeSpan now = Now;
        (string? refused, int pruned, HlcTimestamp horizon) = Use(replica, document =>
        {
            string? refused = document.Merge(message.Document!);
            if (replica.Room is null)
            {
                document.TakeClientChanges(); // the owner tells the members
            }

            if (refused is not null || sender is null)
            {
                return (refused, 0, HlcTimestamp.Zero);
            }

            if (message.Kind != DocumentReplicationKind.State)
            {
                document.Horizon.Heard(sender, now);
                return (null, 0, HlcTimestamp.Zero);
            }

            document.Horizon.MergedState(sender, message.SentAt, message.Seen, !message.Document!.IsEmpty, now);
            (int pruned, HlcTimestamp horizon) = Prune(document, now);
            return (null, pruned, horizon);
        });
        CountPruned(replica.Name, pruned, horizon);
        return refused;
    }

    /// <summary>Runs <paramref name="use"/> on the replica under its lock; default when the edge replica has gone.</summary>
    private T? Use<T>(HostedReplica replica, Func<RoomDocument, T> use)
    {
        if (replica.Room is not null)
        {
            return replica.Room.UseDocument(use);
        }

        lock (replica.EdgeGate!)
        {
            return _edge.Find(replica.Name) is { } document ? use(document) : default; // its last relayed player may just have left
        }
    }

    /// <summary>
    /// Every replica's state (rooms, then edge replicas), each copied under its lock, after pruning
    /// when asked; with <paramref name="skipIdle"/>, not the empty ones no participant needs a report from.
    /// </summary>
    private List<(string Room, DocumentReplicationMessage State)> AllStates(bool prune, bool skipIdle)
    {
        TimeSpan now = Now;
        var states = new List<(string, DocumentReplicationMessage)>();
        foreach (RoomHost room in _all())
        {
            Collect(room.Name, room.UseDocument(Take));
        }

        foreach ((string room, Lock gate, RoomDocument document) in _edge.All)
        {
            (DocumentReplicationMessage? State, int Pruned, HlcTimestamp Horizon) taken;
            lock (gate)
            {
                taken = Take(document);
            }

            Collect(room, taken);
        }

        return states;

        (DocumentReplicationMessage? State, int Pruned, HlcTimestamp Horizon) Take(RoomDocument document)
        {
            (int pruned, HlcTimestamp horizon) = prune ? Prune(document, now) : (0, HlcTimestamp.Zero);
            bool idle = document.IsEmpty && !document.Horizon.AnyParticipantHoldsEntries(now, PeerTimeout);
            return (skipIdle && idle ? null : StateOf(document, now), pruned, horizon);
        }

        void Collect(string room, (DocumentReplicationMessage? State, int Pruned, HlcTimestamp Horizon) taken)
        {
            CountPruned(room, taken.Pruned, taken.Horizon);
            if (taken.State is not null)
            {
                states.Add((room, taken.State));
            }
        }
    }

    private bool ShouldReply(string room)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_lastStateReply.TryGetValue(room, out long last) && _time.GetElapsedTime(last, now) < StateReplyInterval)
            {
                return false;
            }

            if (_lastStateReply.Count > 10_000)
            {
                _lastStateReply.Clear(); // bounded: forgetting only allows one extra reply
            }

            _lastStateReply[room] = now;
            return true;
        }
    }

    private void OnConnectionChanged(bool connected)
    {
        if (!connected)
        {
            return;
        }

        // Back from a partition: send what we wrote meanwhile (in our state) and ask for theirs.
        List<(string Room, DocumentReplicationMessage State)> rooms = AllStates(prune: false, skipIdle: false);
        foreach ((string room, DocumentReplicationMessage state) in rooms)
        {
            Send(room, state);
            RequestState(room);
        }

        Log.DocumentResync(_logger, "reconnected", rooms.Count);
    }

    /// <summary>
    /// One anti-entropy round (the timer's work): prunes what each horizon allows, then sends every
    /// replica that is not empty, or is empty but has a participant that may wait for its report.
    /// </summary>
    internal void RunAntiEntropy()
    {
        try
        {
            foreach ((string room, DocumentReplicationMessage state) in AllStates(prune: true, skipIdle: true))
            {
                Send(room, state);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.DocumentRefused(_logger, "*", _bus.InstanceId, "anti-entropy failed: " + exception.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _bus.ConnectionChanged -= OnConnectionChanged;
        if (_antiEntropy is not null)
        {
            await _antiEntropy.DisposeAsync();
        }

        if (_subscription is not null)
        {
            await _subscription.DisposeAsync();
        }
    }
}
