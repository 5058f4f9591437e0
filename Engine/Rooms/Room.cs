using System.Buffers;

namespace Engine.Rooms;

/// <summary>
/// Game logic for one room: subclass it and register it with
/// <c>builder.AddEngine&lt;MyRoom&gt;()</c>. Engine creates one instance per room on demand.
/// </summary>
/// <remarks>
/// Every hook runs under the room's lock, one at a time, so a room's state needs no
/// synchronisation of its own. Hooks must not block: they run on the tick loop and on the
/// connections' receive loops. Inputs are queued and delivered at the start of the next tick in
/// each player's sequence order; then <see cref="OnTick"/> advances the simulation; then
/// <see cref="WriteState"/> produces the snapshot every player receives on the unreliable channel.
/// </remarks>
public abstract class Room
{
    /// <summary>The room's services: name, players, tick, events. Set before <see cref="OnCreated"/>.</summary>
    protected internal RoomContext Context { get; internal set; } = null!;

    /// <summary>The room was created (first join or first spectator).</summary>
    public virtual void OnCreated()
    {
    }

    /// <summary>A player joined. Its <see cref="Player.Data"/> is yours to set.</summary>
    public virtual void OnJoin(Player player)
    {
    }

    /// <summary>A player left: "left" (asked to), "timeout" (silent past the heartbeat timeout), "disconnected" (did not resume in time), "kicked".</summary>
    public virtual void OnLeave(Player player, string reason)
    {
    }

    /// <summary>One input from a player, delivered at the start of a tick in sequence order.</summary>
    public virtual void OnInput(Player player, PlayerInput input)
    {
    }

    /// <summary>Advances the simulation by one fixed step.</summary>
    public abstract void OnTick(TickInfo tick);

    /// <summary>
    /// Writes the state every player receives after this tick (also used as the full state on join and
    /// resync). Keep it under one MTU (about 1,100 bytes) for the WebTransport datagram path.
    /// </summary>
    public abstract void WriteState(IBufferWriter<byte> writer);

    /// <summary>The room is being removed (empty and idle).</summary>
    public virtual void OnDisposed()
    {
    }
}

/// <summary>One input as the room sees it. Valid only during <see cref="Room.OnInput"/>.</summary>
public readonly ref struct PlayerInput
{
    public PlayerInput(uint sequence, uint clientTick, ReadOnlySpan<byte> data)
    {
        Sequence = sequence;
        ClientTick = clientTick;
        Data = data;
    }

    /// <summary>The client's input sequence number.</summary>
    public uint Sequence { get; }

    /// <summary>The client's tick when it sampled the input.</summary>
    public uint ClientTick { get; }

    /// <summary>The game-defined input bytes.</summary>
    public ReadOnlySpan<byte> Data { get; }
}

/// <summary>The tick being run.</summary>
/// <param name="Number">The tick number, from 1.</param>
/// <param name="DeltaTime">The fixed step: 1 / tick rate.</param>
/// <param name="ServerTime">Server Unix time in ms.</param>
public readonly record struct TickInfo(uint Number, TimeSpan DeltaTime, long ServerTime);
