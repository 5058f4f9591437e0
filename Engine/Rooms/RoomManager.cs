using Engine.Cluster;
using Engine.Documents;
using Engine.Hosting;
using Engine.State.Clock;
using Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Rooms;

/// <summary>
/// Creates rooms on demand (up to <see cref="EngineOptions.MaxRooms"/>) with the game's room
/// factory, and removes rooms that have been empty for <see cref="IdleTimeout"/>.
/// </summary>
internal sealed class RoomManager : IAsyncDisposable
{
    /// <summary>How long an empty room (no players, no spectators) lives on.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomHost> _rooms = new(StringComparer.Ordinal);
    private readonly Func<string, Room> _factory;
    private readonly EngineOptions _options;
    private readonly EngineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ITimer _sweeper;

    private readonly HybridLogicalClock _clock;
    private readonly DocumentReplicator _replicator;

    private readonly IRoomEventStore _store;
    private readonly IRoomLeases _leases;
    private readonly ISeatRecords _seats;

    public RoomManager(Func<string, Room> factory, IOptions<EngineOptions> options, EngineMetrics metrics, TimeProvider time, ILoggerFactory loggers, HybridLogicalClock clock, DocumentReplicator replicator, IRoomEventStore store, IRoomLeases leases, ISeatRecords seats)
    {
        _store = store;
        _seats = seats;
        _leases = leases;
        leases.LeaseLost += room => _ = MoveAwayAsync(room);
        _clock = clock;
        _replicator = replicator;
        _factory = factory;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Engine.Rooms");
        replicator.Attach(Find, All);
        _sweeper = time.CreateTimer(_ => _ = SweepIdleAsync(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _rooms.Count;
            }
        }
    }

    public RoomHost? Find(string name)
    {
        lock (_gate)
        {
            return _rooms.GetValueOrDefault(name);
        }
    }

    /// <summary>Where rooms keep their events (JetStream when clustered).</summary>
    public IRoomEventStore EventStore => _store;

    /// <summary>True when rooms keep their events in a durable store (clustered).</summary>
    public bool HasDurableEvents => _store.IsDurable;

    /// <summary>Every room, for the document replicator.</summary>
    public IReadOnlyList<RoomHost> All()
    {
        lock (_gate)
        {
            return [.. _rooms.Values];
        }
    }

    /// <summary>
    /// The room called <paramref name="name"/>, created if needed; null at the room limit. With a
    /// durable event store a new room first reads where its earlier life's events ended, so its
    /// sequence numbers continue them.
    /// </summary>
    /// <exception cref="ClusterUnavailableException">The event store could not be reached.</exception>
    public async ValueTask<RoomHost?> GetOrCreateAsync(string name, CancellationToken cancellationToken = default)
    {
        if (Find(name) is { } existing)
        {
            return existing;
        }

        long lastStored = _store.IsDurable ? await _store.LastSequenceAsync(name, cancellationToken) : 0;
        IReadOnlyList<SeatRecord> seats = [];
        if (_seats.IsDurable && Find(name) is null)
        {
            try
            {
                seats = await _seats.ReadRoomAsync(name, cancellationToken);
            }
            catch (ClusterUnavailableException exception)
            {
                SeatLog.RestoreFailed(_logger, name, exception.Message);
            }
        }

        return Create(name, lastStored, seats);
    }

    /// <summary>
    /// The room called <paramref name="name"/>, created if needed; null at the room limit, or when
    /// it would have to be created without knowing where its durable events ended (use
    /// <see cref="GetOrCreateAsync"/>, which reads it).
    /// </summary>
    public RoomHost? GetOrCreate(string name, long? lastStoredSequence = null)
    {
        if (_store.IsDurable && lastStoredSequence is null)
        {
            return Find(name);
        }

        return Create(name, lastStoredSequence ?? 0, []);
    }

    private RoomHost? Create(string name, long lastStoredSequence, IReadOnlyList<SeatRecord> earlierSeats)
    {
        RoomHost host;
        lock (_gate)
        {
            if (_rooms.TryGetValue(name, out RoomHost? existing))
            {
                return existing;
            }

            if (_rooms.Count >= _options.MaxRooms)
            {
                return null;
            }

            var document = new RoomDocument(_clock);
            host = new RoomHost(name, _factory(name), _options, _metrics, _time, _loggers.CreateLogger("Engine.Room"), document, _replicator);
            if (_store.IsDurable)
            {
                host.StoreConflicted = conflicted => _ = MoveAwayAsync(conflicted.Name); // it reopens numbering from the store
                host.UseStore(_store, lastStoredSequence);
            }

            if (_seats.IsDurable)
            {
                host.UseSeatRecords(_seats);
                host.RestoreSeats(earlierSeats, lastStoredSequence);
            }

            _rooms.Add(name, host);
            _metrics.Rooms.Add(1);
            host.Start();
            Log.RoomCreated(_logger, name);
        }

        // Outside the lock: an in-process bus answers synchronously, through Find.
        _replicator.RequestState(name);
        return host;
    }

    /// <summary>Removes rooms idle past <see cref="IdleTimeout"/>.</summary>
    internal async Task SweepIdleAsync()
    {
        List<RoomHost> closing = [];
        lock (_gate)
        {
            foreach (RoomHost room in _rooms.Values)
            {
                if (room.TryCloseIfIdle(IdleTimeout))
                {
                    closing.Add(room);
                }
            }

            foreach (RoomHost room in closing)
            {
                _rooms.Remove(room.Name);
                _metrics.Rooms.Add(-1);
            }
        }

        foreach (RoomHost room in closing)
        {
            await room.DisposeAsync();
            await ReleaseLeaseAsync(room.Name);
            Log.RoomRemoved(_logger, room.Name);
        }
    }

    /// <summary>
    /// This instance lost the room's lease (it could not renew it in time, or another instance holds
    /// it now): the room must not run here any more. Its players are disconnected with 1013 (try
    /// again) and reconnect; their next join reaches the room's new owner.
    /// </summary>
    private async Task MoveAwayAsync(string name)
    {
        RoomHost? room;
        lock (_gate)
        {
            if (_rooms.Remove(name, out room))
            {
                _metrics.Rooms.Add(-1);
            }
        }

        if (room is null)
        {
            return;
        }

        room.StopRecordingSeats();
        room.AbandonDurableBacklog();
        _seats.Forget(name); // the new owner records the seats from now on
        Log.RoomMoved(_logger, name);
        room.CloseAllSessions(Engine.Transport.Abstractions.SessionCloseCode.TryAgainLater, "the room moved to another instance; reconnect");
        await room.DisposeAsync();
    }

    private async Task ReleaseLeaseAsync(string name)
    {
        try
        {
            await _leases.ReleaseAsync(name);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.RoomHookFailed(_logger, exception, name, "lease release"); // it lapses on its own
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        RoomHost[] rooms;
        lock (_gate)
        {
            rooms = [.. _rooms.Values];
            _rooms.Clear();
        }

        foreach (RoomHost room in rooms)
        {
            await room.DisposeAsync();
        }
    }
}
