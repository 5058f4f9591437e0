using System.Buffers;
using Engine.Snapshots;

namespace Engine.Rooms;

/// <summary>
/// Game logic for one room: subclass it and register it with
/// <c>builder.AddEngine&lt;MyRoom&gt;()</c>. Engine creates one instance per room on demand.
/// </summary>
/// <remarks>
/// Every hook runs under the room's lock, one at a time, so a room's state needs no
/// synchronisation of its own. Hooks must not block: they run on the tick loop and on the
/// connections' receive loops. Inputs are queued and delivered at the start of the next tick in
/// each player's sequence order; then <see cref="OnTick"/> advances the simulation; then the
/// room's state goes to every player on the unreliable channel, in one of two forms:
/// <list type="bullet">
/// <item><b>Entities</b> (recommended): override <see cref="WriteEntities"/>. Each player receives a
/// delta against the last snapshot it acknowledged, only the entities <see cref="TryGetInterest"/>
/// finds relevant to it, most important first, within one datagram (docs/protocol.md, "Entity snapshots").</item>
/// <item><b>Opaque state</b>: override only <see cref="WriteState"/>. Every player receives the whole
/// state every tick (fragmented over several datagrams when larger than one).</item>
/// </list>
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
    /// Opaque state: writes the state every player receives whole after each tick (and in
    /// JoinAccepted on join and resync). Not used for snapshots when the room overrides
    /// <see cref="WriteEntities"/>, but still sent in JoinAccepted if written. A state larger than
    /// one datagram (about 1,100 bytes) is fragmented on WebTransport, and lost whole when any piece is.
    /// </summary>
    public virtual void WriteState(IBufferWriter<byte> writer)
    {
    }

    /// <summary>
    /// Entity state: adds every entity after each tick, as a stable id and a body of 0–1,024 bytes
    /// (<see cref="EntityFrameWriter.Add(uint, ReadOnlySpan{byte})"/>, or
    /// <see cref="EntityFrameWriter.AddMemoryPack{T}"/>), in any order. Overriding it switches the
    /// room to entity snapshots. Bodies are compared byte by byte: write only what clients need,
    /// in a fixed layout, so an unchanged entity costs nothing.
    /// </summary>
    public virtual void WriteEntities(EntityFrameWriter entities)
    {
    }

    /// <summary>
    /// Interest: whether <paramref name="entityId"/> matters to <paramref name="viewer"/> and how
    /// much (<paramref name="priority"/> &gt; 0, larger goes sooner when a snapshot is full). Return
    /// false and the entity never reaches that player (and is removed from its view if it had it).
    /// Called for each entity and player every tick, so answer from state at hand. Default: every
    /// entity matters, equally.
    /// </summary>
    public virtual bool TryGetInterest(Player viewer, uint entityId, out float priority)
    {
        priority = 1;
        return true;
    }

    /// <summary>The room is being removed (empty and idle).</summary>
    public virtual void OnDisposed()
    {
    }

    /// <summary>
    /// Whether <paramref name="player"/> may make this write to the room document (it is then held
    /// to the document's limits). By default players may set and remove any key and add to any
    /// counter, but not subtract: counters players write are grow-only unless the room allows more.
    /// Return false to refuse; the player gets an Unauthorized error.
    /// </summary>
    public virtual bool AuthorizeDocumentWrite(Player player, Documents.DocumentWrite write) =>
        write.Kind != Documents.DocumentWriteKind.Increment || write.Amount > 0;
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
