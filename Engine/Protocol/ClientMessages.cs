using MemoryPack;

namespace Engine.Protocol;

/// <summary>Opens a session. Sent first on every connection.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class HelloMessage
{
    /// <summary>Must equal <see cref="ProtocolInfo.Version"/>.</summary>
    [MemoryPackOrder(0)] public int ProtocolVersion { get; set; }

    /// <summary>The token from an earlier <see cref="WelcomeMessage"/>, to resume that session; null for a new one.</summary>
    [MemoryPackOrder(1)] public string? ResumeToken { get; set; }

    /// <summary>When resuming: the last room event sequence the client processed (0 if none).</summary>
    [MemoryPackOrder(2)] public long LastSequence { get; set; }
}

/// <summary>Joins a room, creating it if needed.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class JoinMessage
{
    [MemoryPackOrder(0)] public string Room { get; set; } = "";

    /// <summary>Display name; must equal the token's user when tokens are required.</summary>
    [MemoryPackOrder(1)] public string Name { get; set; } = "";

    /// <summary>A join token (see docs/protocol.md); null when the server allows anonymous joins.</summary>
    [MemoryPackOrder(2)] public string? Token { get; set; }
}

/// <summary>Leaves the current room.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class LeaveMessage
{
}

/// <summary>A chat line for the current room.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class ChatMessage
{
    [MemoryPackOrder(0)] public string Text { get; set; } = "";
}

/// <summary>Typing indicator; it expires 3 s after the last true unless renewed.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class TypingMessage
{
    [MemoryPackOrder(0)] public bool IsTyping { get; set; }
}

/// <summary>Player input for the simulation; applied at the next tick in sequence order.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class InputMessage
{
    /// <summary>Increasing per client; echoed back in snapshots as the last processed input.</summary>
    [MemoryPackOrder(0)] public uint Sequence { get; set; }

    /// <summary>The client's tick when it sampled the input.</summary>
    [MemoryPackOrder(1)] public uint ClientTick { get; set; }

    /// <summary>Game-defined input bytes (the arena sample: one byte of direction bits).</summary>
    [MemoryPackOrder(2)] public byte[] Data { get; set; } = [];
}

/// <summary>
/// The client's newest inputs, oldest first (at most <see cref="MaxInputs"/>): sent unreliably, each
/// datagram repeats the inputs of the previous ones, so a lost datagram loses no input. The server
/// applies each sequence once, in order.
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class InputBatchMessage
{
    /// <summary>Most inputs one batch may carry.</summary>
    public const int MaxInputs = 8;

    /// <summary>The newest snapshot tick the client applied (0 if none); read by delta snapshots.</summary>
    [MemoryPackOrder(0)] public uint AckTick { get; set; }

    /// <summary>Inputs in increasing sequence order.</summary>
    [MemoryPackOrder(1)] public InputEntry[] Inputs { get; set; } = [];
}

/// <summary>One input inside an <see cref="InputBatchMessage"/>: the same members as <see cref="InputMessage"/>.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class InputEntry
{
    [MemoryPackOrder(0)] public uint Sequence { get; set; }

    [MemoryPackOrder(1)] public uint ClientTick { get; set; }

    [MemoryPackOrder(2)] public byte[] Data { get; set; } = [];
}

/// <summary>
/// The newest entity-snapshot tick the client applied. Input batches carry the same ack; a client
/// sends this when it has applied a snapshot and sent no input batch for a while (the browser
/// sample: 100 ms), so an idle player's deltas stay small. Unreliable where the transport has datagrams.
/// </summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class SnapshotAckMessage
{
    [MemoryPackOrder(0)] public uint Tick { get; set; }
}

/// <summary>Ping; also the presence heartbeat.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class PingMessage
{
    /// <summary>The client's clock (ms), echoed back in the pong.</summary>
    [MemoryPackOrder(0)] public double ClientTime { get; set; }

    /// <summary>The client's latest RTT measurement in ms (0 if none yet), so the server can observe RTT too.</summary>
    [MemoryPackOrder(1)] public double LastRttMs { get; set; }
}

/// <summary>Sets a key of the room document (last writer wins across the cluster).</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentSetMessage
{
    /// <summary>1–64 characters, no control characters.</summary>
    [MemoryPackOrder(0)] public string Key { get; set; } = "";

    /// <summary>At most 1,024 characters.</summary>
    [MemoryPackOrder(1)] public string Value { get; set; } = "";
}

/// <summary>Removes a key of the room document.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentRemoveMessage
{
    [MemoryPackOrder(0)] public string Key { get; set; } = "";
}

/// <summary>Adds <see cref="Amount"/> to a counter of the room document (negative subtracts, where the room allows it).</summary>
[MemoryPackable(SerializeLayout.Explicit)]
public sealed partial class DocumentIncrementMessage
{
    /// <summary>1–64 characters, no control characters.</summary>
    [MemoryPackOrder(0)] public string Counter { get; set; } = "";

    /// <summary>Non-zero, at most 1,000,000 in magnitude.</summary>
    [MemoryPackOrder(1)] public long Amount { get; set; }
}
