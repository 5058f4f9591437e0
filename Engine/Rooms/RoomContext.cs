using Microsoft.Extensions.Logging;

namespace Engine.Rooms;

/// <summary>What a <see cref="Room"/> can see and do. Use it only from the room's hooks.</summary>
public sealed class RoomContext
{
    private readonly RoomHost _host;

    internal RoomContext(RoomHost host)
    {
        _host = host;
    }

    /// <summary>The room's name.</summary>
    public string Name => _host.Name;

    /// <summary>Ticks per second.</summary>
    public int TickRate => _host.TickRate;

    /// <summary>The current tick number.</summary>
    public uint Tick => _host.CurrentTick;

    /// <summary>The seated players, online or held for a resume.</summary>
    public IReadOnlyCollection<Player> Players => _host.PlayersUnsafe;

    /// <summary>The clock the room runs on.</summary>
    public TimeProvider Time => _host.Time;

    /// <summary>The room's logger.</summary>
    public ILogger Logger => _host.Logger;

    /// <summary>
    /// Publishes a reliable, sequenced game event to every member (kept in the replay buffer, shown
    /// to spectators). <paramref name="kind"/> and <paramref name="data"/> mean what the game says;
    /// <paramref name="data"/> is at most 64 KiB (larger throws <see cref="ArgumentException"/>).
    /// </summary>
    public void PublishEvent(int kind, ReadOnlySpan<byte> data, Player? about = null) =>
        _host.PublishGameEvent(kind, data, about);

    /// <summary>
    /// The room's shared document (keys to values, named counters), replicated to every instance
    /// hosting the room. Writes made here are stamped by this instance's clock; members and the
    /// other instances hear of them after the tick.
    /// </summary>
    public Documents.RoomDocument Document => _host.DocumentUnsafe;

    /// <summary>Removes a player from the room (reason "kicked") and closes its connection.</summary>
    public void Kick(Player player, string reason) => _host.Kick(player, reason);
}
