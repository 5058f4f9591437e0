using Engine.Cluster;
using Engine.Protocol;
using Engine.State.Clock;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Cluster;

/// <summary>
/// One instance's presence service on an in-process hub, with rooms the test edits by hand and a
/// manual clock: the test calls <see cref="Report"/> where the timer would.
/// </summary>
internal sealed class PresenceTestInstance : IAsyncDisposable
{
    private readonly Dictionary<string, Dictionary<int, RoomMember>> _rooms = new(StringComparer.Ordinal);
    private readonly LoggerFactory _loggers;

    public PresenceTestInstance(InProcessClusterBus.Hub hub, ManualTimeProvider time, ClusterPresenceOptions? options = null)
        : this(new InProcessClusterBus(hub), time, options)
    {
    }

    public PresenceTestInstance(IClusterBus bus, ManualTimeProvider time, ClusterPresenceOptions? options = null)
    {
        Bus = bus;
        Logs = new RecordingLoggerProvider();
        _loggers = new LoggerFactory([Logs]);
        Clock = new HybridLogicalClock(bus.NodeId, time);
        Presence = new ClusterPresence(bus, Clock, time, _loggers, options ?? new ClusterPresenceOptions(), LocalRooms);
        Presence.Attach();
    }

    public IClusterBus Bus { get; }

    public HybridLogicalClock Clock { get; }

    public ClusterPresence Presence { get; }

    public RecordingLoggerProvider Logs { get; }

    public string Id => Bus.InstanceId;

    public void Seat(string room, int playerId, string name, bool online = true)
    {
        lock (_rooms)
        {
            if (!_rooms.TryGetValue(room, out Dictionary<int, RoomMember>? members))
            {
                _rooms[room] = members = [];
            }

            members[playerId] = new RoomMember { PlayerId = playerId, Name = name, Online = online };
        }
    }

    public void Unseat(string room, int playerId)
    {
        lock (_rooms)
        {
            _rooms[room].Remove(playerId);
        }
    }

    public void Report() => Presence.RunOnce();

    /// <summary>The room as this instance's view has it: "id:name:online@instance" per member.</summary>
    public string[] View(string room) =>
        [.. Presence.Members(room).Select(m => $"{m.PlayerId}:{m.Name}:{(m.Online ? "on" : "off")}@{m.Instance}")];

    public async ValueTask DisposeAsync()
    {
        await Presence.DisposeAsync();
        _loggers.Dispose();
    }

    private IEnumerable<(string Room, RoomMember[] Members)> LocalRooms()
    {
        lock (_rooms)
        {
            return [.. _rooms.Select(pair => (pair.Key, pair.Value.Values.ToArray()))];
        }
    }
}
