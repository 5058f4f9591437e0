using MemoryPack;

namespace Engine.Protocol;

/// <summary>The session is open.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class WelcomeMessage
{
    [MemoryPackOrder(0)] public string SessionId { get; set; } = "";

    /// <summary>Present to resume this session after a disconnect.</summary>
    [MemoryPackOrder(1)] public string ResumeToken { get; set; } = "";

    /// <summary>Snapshots per second.</summary>
    [MemoryPackOrder(2)] public int TickRate { get; set; }

    /// <summary>Server Unix time in ms when sent.</summary>
    [MemoryPackOrder(3)] public long ServerTime { get; set; }

    /// <summary>Send a ping at least this often (ms) to stay present.</summary>
    [MemoryPackOrder(4)] public int HeartbeatIntervalMs { get; set; }

    /// <summary>Whether an earlier session was resumed; a JoinAccepted for its room follows.</summary>
    [MemoryPackOrder(5)] public bool Resumed { get; set; }

    /// <summary>This session's player id (the same after a resume).</summary>
    [MemoryPackOrder(6)] public int PlayerId { get; set; }
}

/// <summary>A room member as presence reports it.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class RoomMember
{
    [MemoryPackOrder(0)] public int PlayerId { get; set; }

    [MemoryPackOrder(1)] public string Name { get; set; } = "";

    /// <summary>False while the member's connection is lost but its seat is held for a resume.</summary>
    [MemoryPackOrder(2)] public bool Online { get; set; }
}

/// <summary>The join (or resume) succeeded.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class JoinAcceptedMessage
{
    [MemoryPackOrder(0)] public string Room { get; set; } = "";

    [MemoryPackOrder(1)] public int PlayerId { get; set; }

    /// <summary>The room's latest event sequence when this was sent.</summary>
    [MemoryPackOrder(2)] public long Sequence { get; set; }

    /// <summary>
    /// On a resume: true when every missed event follows in order; false when the gap was beyond
    /// the replay buffer, in which case <see cref="State"/> and <see cref="Members"/> are a full resync.
    /// </summary>
    [MemoryPackOrder(3)] public bool Recovered { get; set; }

    [MemoryPackOrder(4)] public RoomMember[] Members { get; set; } = [];

    /// <summary>The game's full state (game-defined bytes).</summary>
    [MemoryPackOrder(5)] public byte[] State { get; set; } = [];

    [MemoryPackOrder(6)] public int TickRate { get; set; }
}

/// <summary>Room event: a member joined.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class JoinedMessage
{
    [MemoryPackOrder(0)] public long Sequence { get; set; }

    [MemoryPackOrder(1)] public int PlayerId { get; set; }

    [MemoryPackOrder(2)] public string Name { get; set; } = "";
}

/// <summary>Room event: a member left.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class LeftMessage
{
    [MemoryPackOrder(0)] public long Sequence { get; set; }

    [MemoryPackOrder(1)] public int PlayerId { get; set; }

    /// <summary>"left", "disconnected", "timeout", "kicked".</summary>
    [MemoryPackOrder(2)] public string Reason { get; set; } = "";
}

/// <summary>Room event: a chat line.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class ChatPostedMessage
{
    [MemoryPackOrder(0)] public long Sequence { get; set; }

    [MemoryPackOrder(1)] public int PlayerId { get; set; }

    [MemoryPackOrder(2)] public string Name { get; set; } = "";

    [MemoryPackOrder(3)] public string Text { get; set; } = "";

    [MemoryPackOrder(4)] public long ServerTime { get; set; }
}

/// <summary>A member's typing indicator changed.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class TypingChangedMessage
{
    [MemoryPackOrder(0)] public int PlayerId { get; set; }

    [MemoryPackOrder(1)] public bool IsTyping { get; set; }
}

/// <summary>The room's members; sent when membership or online state changes.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class PresenceMessage
{
    [MemoryPackOrder(0)] public RoomMember[] Members { get; set; } = [];
}

/// <summary>A simulation snapshot, on the unreliable channel.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class SnapshotMessage
{
    [MemoryPackOrder(0)] public uint Tick { get; set; }

    /// <summary>The highest input sequence from this client applied before this tick.</summary>
    [MemoryPackOrder(1)] public uint LastProcessedInput { get; set; }

    /// <summary>Server Unix time in ms when the tick ran.</summary>
    [MemoryPackOrder(2)] public long ServerTime { get; set; }

    /// <summary>The game's state (game-defined bytes).</summary>
    [MemoryPackOrder(3)] public byte[] State { get; set; } = [];
}

/// <summary>A reliable, sequenced event defined by the game.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class GameEventMessage
{
    [MemoryPackOrder(0)] public long Sequence { get; set; }

    /// <summary>The member it concerns, or 0.</summary>
    [MemoryPackOrder(1)] public int PlayerId { get; set; }

    /// <summary>Game-defined event kind.</summary>
    [MemoryPackOrder(2)] public int Kind { get; set; }

    [MemoryPackOrder(3)] public byte[] Data { get; set; } = [];
}

/// <summary>Answer to a ping.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class PongMessage
{
    /// <summary>The ping's client time, echoed.</summary>
    [MemoryPackOrder(0)] public double ClientTime { get; set; }

    /// <summary>Server Unix time in ms when answered (for clock offset: offset ≈ ServerTime − (send + RTT/2)).</summary>
    [MemoryPackOrder(1)] public long ServerTime { get; set; }
}

/// <summary>A request failed.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class ErrorMessage
{
    [MemoryPackOrder(0)] public ErrorCode Code { get; set; }

    [MemoryPackOrder(1)] public string Message { get; set; } = "";
}

/// <summary>
/// One player's entity snapshot, on the unreliable channel, for rooms that describe their state as
/// entities: <see cref="Payload"/> is a delta against the newest snapshot the client acknowledged
/// (docs/protocol.md, "Entity snapshots"). It fits one datagram on WebTransport.
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class EntitySnapshotMessage
{
    /// <summary>The highest input sequence from this client applied before this tick.</summary>
    [MemoryPackOrder(0)] public uint LastProcessedInput { get; set; }

    /// <summary>Server Unix time in ms when the tick ran.</summary>
    [MemoryPackOrder(1)] public long ServerTime { get; set; }

    /// <summary>The snapshot payload: tick u32, baseline tick u32, records.</summary>
    [MemoryPackOrder(2)] public byte[] Payload { get; set; } = [];
}

/// <summary>One key of the room document as it is now.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentEntry
{
    [MemoryPackOrder(0)] public string Key { get; set; } = "";

    /// <summary>The value; null when the key was removed.</summary>
    [MemoryPackOrder(1)] public string? Value { get; set; }
}

/// <summary>One counter of the room document as it is now.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentCounter
{
    [MemoryPackOrder(0)] public string Name { get; set; } = "";

    /// <summary>The counter's value (within ±2^53 − 1).</summary>
    [MemoryPackOrder(1)] public long Value { get; set; }
}

/// <summary>
/// Keys and counters of the room document that changed, with their values now. With
/// <see cref="Full"/> it is the whole document (after a join or resume): the client replaces its
/// copy. Reliable; not sequenced (the next full one repairs any gap).
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentChangedMessage
{
    [MemoryPackOrder(0)] public bool Full { get; set; }

    [MemoryPackOrder(1)] public DocumentEntry[] Entries { get; set; } = [];

    [MemoryPackOrder(2)] public DocumentCounter[] Counters { get; set; } = [];
}
