namespace Engine.Transport.Abstractions;

/// <summary>
/// Why a session closed. Values below 4000 are the WebSocket close codes (RFC 6455 §7.4.1) and
/// are sent as such on WebSocket; 4000 and up are Engine's own, in the range RFC 6455 leaves to
/// applications. WebTransport carries the same numbers as its session error code.
/// </summary>
public enum SessionCloseCode
{
    /// <summary>Normal closure.</summary>
    Normal = 1000,

    /// <summary>The server is shutting down or the client navigated away.</summary>
    GoingAway = 1001,

    /// <summary>The peer broke the framing or message protocol (malformed message).</summary>
    ProtocolError = 1002,

    /// <summary>A message type the endpoint does not accept (e.g. a text frame).</summary>
    UnsupportedData = 1003,

    /// <summary>The peer violated a policy: origin not allowed, sustained rate-limit abuse.</summary>
    PolicyViolation = 1008,

    /// <summary>A message exceeded the size limit.</summary>
    MessageTooBig = 1009,

    /// <summary>The server hit an unexpected condition.</summary>
    InternalError = 1011,

    /// <summary>The server is overloaded; retry later.</summary>
    TryAgainLater = 1013,

    /// <summary>The peer did not read fast enough and its bounded send queue filled.</summary>
    SlowConsumer = 4000,

    /// <summary>Missing, invalid or expired join token.</summary>
    Unauthorized = 4001,

    /// <summary>The room is at capacity.</summary>
    RoomFull = 4002,

    /// <summary>No heartbeat within the presence timeout.</summary>
    HeartbeatTimeout = 4003,

    /// <summary>The same player resumed on a newer connection.</summary>
    Replaced = 4004,
}
