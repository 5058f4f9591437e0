using System.Net;
using Microsoft.Extensions.Logging;

namespace Engine.Transport.Quic;

/// <summary>Source-generated log messages of <see cref="QuicEndpoint"/>: one line per connection that closes, and per bug caught.</summary>
internal static partial class QuicEndpointLog
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Warning,
        Message = "QUIC connection from {Remote} closed: the peer broke the protocol, error 0x{ErrorCode:x} (frame 0x{FrameType:x}): {Reason}")]
    public static partial void PeerViolation(ILogger logger, IPEndPoint remote, ulong errorCode, ulong frameType, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information,
        Message = "QUIC connection with {Remote} closed ({Origin}), code 0x{ErrorCode:x}: {Reason}")]
    public static partial void Closed(ILogger logger, IPEndPoint remote, QuicCloseOrigin origin, ulong errorCode, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error,
        Message = "QUIC connection with {Remote} failed inside Engine and was closed with INTERNAL_ERROR")]
    public static partial void InternalError(ILogger logger, IPEndPoint remote, Exception exception);
}
