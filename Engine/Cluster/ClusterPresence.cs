using Engine.Protocol;
using Engine.State.Clock;
using Engine.State.Crdt;
using Engine.State.Serialization;
using Microsoft.Extensions.Logging;

namespace Engine.Cluster;

/// <summary>
/// Cluster-wide presence over the bus subject <c>presence</c>. Every <see cref="ClusterPresenceOptions.Interval"/>
/// this instance snapshots the members of the rooms it owns, publishes what changed since the last
/// report (nothing changed: an empty delta, its heartbeat), and drops the peers it has not heard from
/// for the TTL. It publishes its whole part every <see cref="ClusterPresenceOptions.FullStateInterval"/>,
/// when asked (a newcomer, a peer that missed a message) and after a reconnect. What peers publish
/// is merged into <see cref="ClusterPresenceView"/>; bad messages are dropped, counted and logged.
/// All publishing happens on the report timer, so messages leave in sequence order.
/// </summary>
internal sealed partial class ClusterPresence : IClusterPresence, IAsyncDisposable
{
    /// <summary>The bus subject (under the cluster prefix).</summary>
    public const string Subject = "presence";

    private readonly IClusterBus _bus;
    private readonly HybridLogicalClock _clock;
    private readonly TimeProvider _time;
    private readonly ClusterPresenceOptions _options;
    private readonly Func<IEnumerable<(string Room, RoomMember[] Members)>> _localRooms;
    private readonly ILogger _logger;
    private readonly ClusterPresenceView _view;
    private readonly Lock _requestGate = new();
    private readonly HashSet<string> _requestTargets = new(StringComparer.Ordinal); // bounded by MaxPeers
    private IAsyncDisposable? _subscription;
    private ITimer? _timer;
    private long? _lastFullStateAt;
    private ulong _sequence;
    private int _reporting;
    private int _fullStateWanted;
    private int _askEveryone = 1; // a newcomer asks for everyone's part at once rather than waiting for their next full state
    private bool _disposed;
    private int _disposeStarted;
    private long _published;
    private long _publishRefused;
    private long _merged;
    private long _malformed;
    private long _refused;
    private long _peersExpired;
    private long _fullStatesSent;
    private long _requestsSent;

    /// <summary>
    /// Creates the service; nothing runs until <see cref="Start"/> (tests call <see cref="Attach"/> and
    /// <see cref="RunOnce"/> instead). <paramref name="localRooms"/> lists the rooms this instance owns,
    /// each with its members now (taken under the room's lock).
    /// </summary>
    public ClusterPresence(IClusterBus bus, HybridLogicalClock clock, TimeProvider time, ILoggerFactory loggers, ClusterPresenceOptions options, Func<IEnumerable<(string Room, RoomMember[] Members)>> localRooms)
    {
        options.Validate();
        _bus = bus;
        _clock = clock;
        _time = time;
        _options = options;
        _localRooms = localRooms;
        _logger = loggers.CreateLogger("Engine.Presence");
        _view = new ClusterPresenceView(bus.InstanceId, options, time);
    }

    public ClusterPresenceOptions Options => _options;

    /// <summary>This instance's id, as peers see it in <see cref="ClusterMember.Instance"/>.</summary>
    public string Instance => _bus.InstanceId;

    /// <summary>Messages published.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages the bus refused to publish (over its payload limit).</summary>
    public long PublishRefused => Interlocked.Read(ref _publishRefused);

    /// <summary>Messages from peers taken into the view.</summary>
    public long Merged => Interlocked.Read(ref _merged);

    /// <summary>Messages that did not decode or broke the message's rules (oversized, too many records, bad names, …).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Well-formed messages refused: a timestamp too far ahead, or the view's bounds.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Peers dropped after the TTL of silence.</summary>
    public long PeersExpired => Interlocked.Read(ref _peersExpired);

    /// <summary>Full states published (each may be several parts).</summary>
    public long FullStatesSent => Interlocked.Read(ref _fullStatesSent);

    /// <summary>Requests for full states published.</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>Peers heard from within the TTL.</summary>
    public int PeerCount => _view.PeerCount;

    public IReadOnlyList<string> Rooms => _view.Rooms;

    public IReadOnlyList<ClusterMember> Members(string room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return _view.Members(room);
    }

    /// <summary>Subscribes and starts reporting every interval (the first report at once).</summary>
    public void Start()
    {
        Attach();
        _timer = _time.CreateTimer(_ => RunOnce(), null, TimeSpan.Zero, _options.Interval);
    }

    /// <summary>Subscribes to the subject and to reconnects, without the timer (tests drive <see cref="RunOnce"/>).</summary>
    internal void Attach()
    {
        _subscription = _bus.Subscribe(Subject, OnMessage);
        _bus.ConnectionChanged += OnConnectionChanged;
    }

    /// <summary>One report: local members, the delta or a full state, requests, then expiry of silent peers.</summary>
    internal void RunOnce()
    {
        if (Volatile.Read(ref _disposed) || Interlocked.Exchange(ref _reporting, 1) == 1)
        {
            return; // the previous report is still running (a stalled machine): skip, the next one catches up
        }

        try
        {
            LwwMap<PresenceKey, PresenceValue>? delta = _view.ReportLocal(LocalMembers(), _clock.Now());
            long now = _time.GetTimestamp();
            bool full = Interlocked.Exchange(ref _fullStateWanted, 0) == 1
                || _lastFullStateAt is not { } last
                || _time.GetElapsedTime(last, now) >= _options.FullStateInterval;
            if (full)
            {
                PublishFullState();
                _lastFullStateAt = now;
            }
            else
            {
                PublishRecords(ClusterPresenceKind.Delta, delta ?? new LwwMap<PresenceKey, PresenceValue>(), _clock.Now());
            }

            PublishRequests();
            foreach ((string instance, int entries) in _view.Expire())
            {
                Interlocked.Increment(ref _peersExpired);
                ClusterPresenceLog.PeerExpired(_logger, instance, _options.Ttl, entries);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ClusterPresenceLog.ReportFailed(_logger, exception);
        }
        finally
        {
            Volatile.Write(ref _reporting, 0);
        }
    }

    private Dictionary<PresenceKey, PresenceValue> LocalMembers()
    {
        var current = new Dictionary<PresenceKey, PresenceValue>();
        foreach ((string room, RoomMember[] members) in _localRooms())
        {
            foreach (RoomMember member in members)
            {
                current[new PresenceKey(room, member.PlayerId)] = new PresenceValue(member.Name, member.Online);
            }
        }

        return current;
    }

    private void PublishFullState()
    {
        LwwMap<PresenceKey, PresenceValue> state = _view.OwnState();
        PublishRecords(ClusterPresenceKind.FullState, state, _clock.Now()); // stamped after every entry in it
        Interlocked.Increment(ref _fullStatesSent);
    }

    /// <summary>Publishes <paramref name="records"/> in parts of at most MaxRecordsPerMessage (at least one message).</summary>
    private void PublishRecords(ClusterPresenceKind kind, LwwMap<PresenceKey, PresenceValue> records, HlcTimestamp stamp)
    {
        int size = _options.MaxRecordsPerMessage;
        int parts = Math.Max(1, (records.AllEntries.Count + size - 1) / size);
        if (parts == 1)
        {
            Publish(new ClusterPresenceMessage { Kind = kind, Stamp = stamp, Records = records });
            return;
        }

        int part = 0;
        foreach (KeyValuePair<PresenceKey, LwwEntry<PresenceValue>>[] chunk in records.AllEntries.Chunk(size))
        {
            var piece = new LwwMap<PresenceKey, PresenceValue>();
            foreach ((PresenceKey key, LwwEntry<PresenceValue> entry) in chunk)
            {
                if (entry.IsRemoved)
                {
                    piece.Remove(key, entry.Timestamp);
                }
                else
                {
                    piece.Set(key, entry.Value, entry.Timestamp);
                }
            }

            bool isFull = kind == ClusterPresenceKind.FullState;
            Publish(new ClusterPresenceMessage { Kind = kind, Stamp = stamp, Part = isFull ? part : 0, PartCount = isFull ? parts : 1, Records = piece });
            part++;
        }
    }

    private void PublishRequests()
    {
        if (Interlocked.Exchange(ref _askEveryone, 0) == 1)
        {
            PublishRequest(null);
        }

        string[] targets;
        lock (_requestGate)
        {
            targets = [.. _requestTargets];
            _requestTargets.Clear();
        }

        foreach (string target in targets)
        {
            PublishRequest(target);
        }
    }

    private void PublishRequest(string? target)
    {
        Publish(new ClusterPresenceMessage { Kind = ClusterPresenceKind.Request, Stamp = _clock.Now(), Target = target });
        Interlocked.Increment(ref _requestsSent);
    }

    private void Publish(ClusterPresenceMessage message)
    {
        message.Sequence = ++_sequence; // only the report timer (or dispose, after it) publishes
        if (_bus.Publish(Subject, StateCodec.Encode(message)))
        {
            Interlocked.Increment(ref _published);
        }
        else
        {
            Interlocked.Increment(ref _publishRefused);
            ClusterPresenceLog.PublishRefused(_logger, message.Kind, message.Records?.AllEntries.Count ?? 0);
        }
    }

    private void OnConnectionChanged(bool connected)
    {
        if (connected)
        {
            // Back from a cut: the others may have expired this instance, and it them.
            Volatile.Write(ref _fullStateWanted, 1);
            Volatile.Write(ref _askEveryone, 1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent: the container disposes this once per registration that hands it out.
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            return;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        // Wait out a report in progress (briefly: it never blocks), so the leave is the last message.
        for (int waited = 0; Interlocked.CompareExchange(ref _reporting, 1, 0) != 0 && waited < 500; waited++)
        {
            await Task.Delay(10);
        }

        Volatile.Write(ref _disposed, true);
        _bus.ConnectionChanged -= OnConnectionChanged;
        if (_subscription is not null)
        {
            await _subscription.DisposeAsync();
            try
            {
                Publish(new ClusterPresenceMessage { Kind = ClusterPresenceKind.Leave, Stamp = _clock.Now() });
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ClusterPresenceLog.ReportFailed(_logger, exception); // the peers expire this instance after the TTL instead
            }
        }
    }
}
