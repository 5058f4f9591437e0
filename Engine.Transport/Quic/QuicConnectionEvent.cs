namespace Engine.Transport.Quic;

/// <summary>What a <see cref="QuicConnectionCore"/> reports to its owner through <see cref="QuicConnectionCore.TryPollEvent"/>.</summary>
internal enum QuicConnectionEventKind
{
    /// <summary>The TLS handshake completed; streams and datagrams may be used.</summary>
    HandshakeCompleted,

    /// <summary>The peer opened <see cref="QuicConnectionEvent.StreamId"/>.</summary>
    StreamOpened,

    /// <summary>Data (or the FIN) can be read from the stream.</summary>
    StreamReadable,

    /// <summary>Send-buffer room freed on a stream that had refused bytes.</summary>
    StreamWritable,

    /// <summary>The peer reset its sending side (RESET_STREAM); <see cref="QuicConnectionEvent.ErrorCode"/> is its code.</summary>
    StreamPeerReset,

    /// <summary>The peer asked us to stop sending (STOP_SENDING); we answered with RESET_STREAM.</summary>
    StreamPeerStopSending,

    /// <summary>Everything we wrote on the stream, FIN included, was acknowledged.</summary>
    StreamFinished,

    /// <summary>DATAGRAM frames arrived (one event until it is taken); drain them with <see cref="QuicConnectionCore.TryReceiveDatagram"/>.</summary>
    DatagramReceived,

    /// <summary>The peer raised the number of streams we may open; openers waiting for credit can retry.</summary>
    StreamsAvailable,

    /// <summary>The connection closed or started closing; <see cref="QuicConnectionCore.CloseInfo"/> says why.</summary>
    Closed,
}

/// <summary>One connection event; <see cref="StreamId"/> is -1 when no stream is concerned.</summary>
internal readonly record struct QuicConnectionEvent(QuicConnectionEventKind Kind, long StreamId = -1, ulong ErrorCode = 0);

/// <summary>Why a connection closed.</summary>
internal enum QuicCloseOrigin
{
    /// <summary>We closed it because the peer broke the protocol (a transport error code).</summary>
    LocalTransportError,

    /// <summary>Our application closed it.</summary>
    LocalApplication,

    /// <summary>The peer sent CONNECTION_CLOSE with a transport error code.</summary>
    PeerTransport,

    /// <summary>The peer sent CONNECTION_CLOSE with an application error code.</summary>
    PeerApplication,

    /// <summary>Nothing was received within the idle timeout.</summary>
    IdleTimeout,

    /// <summary>The peer supports none of our versions.</summary>
    VersionMismatch,
}

/// <summary>The close reason: who closed, the error code (transport or application), the frame type that triggered a transport error, and the reason text.</summary>
internal sealed record QuicCloseInfo(QuicCloseOrigin Origin, ulong ErrorCode, ulong FrameType, string Reason)
{
    public bool IsApplicationError => Origin is QuicCloseOrigin.LocalApplication or QuicCloseOrigin.PeerApplication;

    /// <summary>The transport error code, when this is not an application close.</summary>
    public Wire.QuicTransportErrorCode TransportError => IsApplicationError ? Wire.QuicTransportErrorCode.NoError : (Wire.QuicTransportErrorCode)ErrorCode;

    public override string ToString() => $"{Origin} 0x{ErrorCode:x} (frame 0x{FrameType:x}): {Reason}";
}
