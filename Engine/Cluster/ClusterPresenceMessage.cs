using Engine.State.Clock;
using Engine.State.Crdt;
using MemoryPack;

namespace Engine.Cluster;

/// <summary>What a message on <c>&lt;cluster&gt;.presence</c> is.</summary>
public enum ClusterPresenceKind : byte
{
    /// <summary>What changed in the sender's rooms since its last report (empty: a heartbeat).</summary>
    Delta = 0,

    /// <summary>One part of the sender's whole report, as of <see cref="ClusterPresenceMessage.Stamp"/>.</summary>
    FullState = 1,

    /// <summary>Asks <see cref="ClusterPresenceMessage.Target"/> (or everyone, when null) for a full state.</summary>
    Request = 2,

    /// <summary>The sender is shutting down: drop what it reported now rather than after the TTL.</summary>
    Leave = 3,
}

/// <summary>A key of the presence map: one player in one room.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public readonly partial record struct PresenceKey
{
    [MemoryPackConstructor]
    public PresenceKey(string room, int playerId)
    {
        Room = room;
        PlayerId = playerId;
    }

    [MemoryPackOrder(0)] public string Room { get; }

    [MemoryPackOrder(1)] public int PlayerId { get; }
}

/// <summary>A value of the presence map: how the room's owner sees the player.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public readonly partial record struct PresenceValue
{
    [MemoryPackConstructor]
    public PresenceValue(string name, bool online)
    {
        Name = name;
        Online = online;
    }

    [MemoryPackOrder(0)] public string Name { get; }

    /// <summary>False while the player's connection is lost and its seat held for a resume.</summary>
    [MemoryPackOrder(1)] public bool Online { get; }
}

/// <summary>
/// The body of a message on <c>&lt;cluster&gt;.presence</c> (MemoryPack). Every instance publishes its
/// own part of the presence map: deltas, full states (split into parts of at most
/// <see cref="ClusterPresenceOptions.MaxRecordsPerMessage"/> records, all with one
/// <see cref="Stamp"/>), requests and a leave. Numbered per sender, so a receiver notices a lost one.
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class ClusterPresenceMessage
{
    [MemoryPackOrder(0)] public ClusterPresenceKind Kind { get; set; }

    /// <summary>1, 2, 3, … per sender and process start, one per message.</summary>
    [MemoryPackOrder(1)] public ulong Sequence { get; set; }

    /// <summary>The sender's clock when it sent this; no record is newer. A full state's parts share it.</summary>
    [MemoryPackOrder(2)] public HlcTimestamp Stamp { get; set; }

    /// <summary>A full state's part number, 0 to <see cref="PartCount"/> − 1; 0 otherwise.</summary>
    [MemoryPackOrder(3)] public int Part { get; set; }

    /// <summary>How many parts the full state has; 1 otherwise.</summary>
    [MemoryPackOrder(4)] public int PartCount { get; set; } = 1;

    /// <summary>Entries and (in a delta) tombstones, each stamped with the sender's clock; null for a request or leave.</summary>
    [MemoryPackOrder(5), MemoryPackAllowSerialize] public LwwMap<PresenceKey, PresenceValue>? Records { get; set; }

    /// <summary>A request's addressee (an instance id); null asks everyone.</summary>
    [MemoryPackOrder(6)] public string? Target { get; set; }
}
