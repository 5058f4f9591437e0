using Engine.Transport.Abstractions;
using Microsoft.Extensions.Logging;

namespace Engine.Transport.WebSockets;

/// <summary>Source-generated log messages of <see cref="WebSocketTransportSession"/>.</summary>
internal static partial class WebSocketSessionLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "WebSocket session {SessionId} closing with {CloseCode} ({CloseCodeNumber}), by peer: {ByPeer}, reason: {Reason}")]
    public static partial void Closing(ILogger logger, string sessionId, SessionCloseCode closeCode, int closeCodeNumber, bool byPeer, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "WebSocket session {SessionId} is a slow consumer: its send queue of {Capacity} messages is full")]
    public static partial void SlowConsumer(ILogger logger, string sessionId, int capacity);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "WebSocket session {SessionId} lost its connection while {Activity}")]
    public static partial void ConnectionLost(ILogger logger, string sessionId, string activity, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "WebSocket session {SessionId}: the peer violated the WebSocket protocol")]
    public static partial void ProtocolViolation(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "WebSocket session {SessionId} could not write its queued messages within {Timeout}; aborting the connection")]
    public static partial void FlushTimedOut(ILogger logger, string sessionId, TimeSpan timeout);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information,
        Message = "WebSocket session {SessionId}: the peer did not answer the close frame within {Timeout}; aborting the connection")]
    public static partial void CloseHandshakeTimedOut(ILogger logger, string sessionId, TimeSpan timeout);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug,
        Message = "WebSocket session {SessionId}: the close handshake failed; aborting the connection")]
    public static partial void CloseHandshakeFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning,
        Message = "WebSocket session {SessionId}: a callback registered on Closed threw")]
    public static partial void ClosedCallbackFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error,
        Message = "WebSocket session {SessionId} failed unexpectedly while {Activity}; aborting the connection")]
    public static partial void UnexpectedFailure(ILogger logger, string sessionId, string activity, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "WebSocket session {SessionId}: the writer did not stop within {Timeout} of disposal; it will return its buffers when it does")]
    public static partial void WriterStillRunningAtDispose(ILogger logger, string sessionId, TimeSpan timeout);
}
