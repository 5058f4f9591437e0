namespace Engine.Protocol;

/// <summary>
/// The first byte of every message on every transport and channel; the MemoryPack body of the
/// matching type follows. Client-to-server types are below 0x80, server-to-client types at or above.
/// </summary>
public enum MessageType : byte
{
    /// <summary>Client opens (or resumes) a session.</summary>
    Hello = 0x01,

    /// <summary>Client asks to join a room.</summary>
    Join = 0x02,

    /// <summary>Client leaves its room.</summary>
    Leave = 0x03,

    /// <summary>Client sends a chat line.</summary>
    Chat = 0x04,

    /// <summary>Client starts or stops typing.</summary>
    Typing = 0x05,

    /// <summary>Client input for the simulation.</summary>
    Input = 0x06,

    /// <summary>Client ping: RTT, clock offset, and the presence heartbeat.</summary>
    Ping = 0x07,

    /// <summary>Client inputs with redundancy: the newest few, so one lost datagram loses none.</summary>
    InputBatch = 0x08,

    /// <summary>Client acknowledges the newest entity snapshot it applied (when it has no input to carry the ack).</summary>
    SnapshotAck = 0x09,

    /// <summary>Client sets a key of the room document.</summary>
    DocumentSet = 0x0A,

    /// <summary>Client removes a key of the room document.</summary>
    DocumentRemove = 0x0B,

    /// <summary>Client adds to (or subtracts from) a counter of the room document.</summary>
    DocumentIncrement = 0x0C,

    /// <summary>Server accepts the session.</summary>
    Welcome = 0x81,

    /// <summary>Server accepts a join (or a resume): members, sequence, room state.</summary>
    JoinAccepted = 0x82,

    /// <summary>Room event: a member joined.</summary>
    Joined = 0x83,

    /// <summary>Room event: a member left.</summary>
    Left = 0x84,

    /// <summary>Room event: a chat line.</summary>
    ChatPosted = 0x85,

    /// <summary>A member's typing indicator changed (not sequenced; it expires on its own).</summary>
    TypingChanged = 0x86,

    /// <summary>The room's member list with online state.</summary>
    Presence = 0x87,

    /// <summary>A simulation snapshot (unreliable channel).</summary>
    Snapshot = 0x88,

    /// <summary>Room event defined by the game (reliable, sequenced).</summary>
    GameEvent = 0x89,

    /// <summary>Answer to a ping.</summary>
    Pong = 0x8A,

    /// <summary>A request failed; the connection may stay open.</summary>
    Error = 0x8B,

    /// <summary>An entity snapshot: a delta against the client's acknowledged baseline (unreliable channel).</summary>
    EntitySnapshot = 0x8C,

    /// <summary>The room document changed (or, after a join or resume, all of it).</summary>
    DocumentChanged = 0x8D,
}
