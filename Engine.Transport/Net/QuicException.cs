using Engine.Transport.Quic;

namespace Engine.Transport.Net;

/// <summary>Why a QUIC operation failed.</summary>
public enum QuicError
{
    /// <summary>A bug or unexpected condition inside Engine.</summary>
    InternalError,

    /// <summary>The peer closed the connection with an application error code (<see cref="QuicException.ApplicationErrorCode"/>).</summary>
    ConnectionAborted,

    /// <summary>The peer reset the stream (reading) or asked us to stop sending (writing); the code is in <see cref="QuicException.ApplicationErrorCode"/>.</summary>
    StreamAborted,

    /// <summary>The handshake did not complete in time.</summary>
    ConnectionTimeout,

    /// <summary>The server refused the connection (for example its accept queue was full).</summary>
    ConnectionRefused,

    /// <summary>The peer supports no QUIC version we speak.</summary>
    VersionNegotiationError,

    /// <summary>Nothing arrived within the idle timeout.</summary>
    ConnectionIdle,

    /// <summary>We closed the connection or aborted the stream ourselves.</summary>
    OperationAborted,

    /// <summary>A protocol violation (ours or the peer's) closed the connection; see <see cref="QuicException.TransportErrorCode"/>.</summary>
    TransportError,

    /// <summary>TLS failed: certificate, ALPN or another handshake alert (<see cref="QuicException.TransportErrorCode"/> is 0x100 + alert).</summary>
    HandshakeFailed,
}

/// <summary>A QUIC connection or stream failure, with the codes the wire carried.</summary>
public sealed class QuicException : IOException
{
    public QuicException(QuicError error, string message, long? applicationErrorCode = null, long? transportErrorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        QuicError = error;
        ApplicationErrorCode = applicationErrorCode;
        TransportErrorCode = transportErrorCode;
    }

    public QuicError QuicError { get; }

    /// <summary>The application's error code (connection close, stream reset or stop-sending), when there was one.</summary>
    public long? ApplicationErrorCode { get; }

    /// <summary>The QUIC transport error code, when the transport closed the connection.</summary>
    public long? TransportErrorCode { get; }

    internal static QuicException FromClose(QuicCloseInfo? info, bool handshakeComplete)
    {
        if (info is null)
        {
            return new QuicException(QuicError.OperationAborted, "The connection was closed.");
        }

        long code = (long)info.ErrorCode;
        string reason = string.IsNullOrEmpty(info.Reason) ? string.Empty : $": {info.Reason}";
        return info.Origin switch
        {
            QuicCloseOrigin.PeerApplication => new QuicException(QuicError.ConnectionAborted, $"The peer closed the connection with application error 0x{code:x}{reason}.", applicationErrorCode: code),
            QuicCloseOrigin.LocalApplication => new QuicException(QuicError.OperationAborted, $"The connection was closed locally with application error 0x{code:x}{reason}.", applicationErrorCode: code),
            QuicCloseOrigin.IdleTimeout => new QuicException(QuicError.ConnectionIdle, "The connection timed out: nothing arrived within the idle timeout."),
            QuicCloseOrigin.VersionMismatch => new QuicException(QuicError.VersionNegotiationError, "The server supports no QUIC version we speak."),
            _ when code == 0x2 => new QuicException(QuicError.ConnectionRefused, $"The connection was refused{reason}.", transportErrorCode: code),
            _ when code is >= 0x100 and <= 0x1ff && !handshakeComplete => new QuicException(QuicError.HandshakeFailed, $"The TLS handshake failed with alert {code - 0x100}{reason}.", transportErrorCode: code),
            QuicCloseOrigin.PeerTransport => new QuicException(QuicError.TransportError, $"The peer closed the connection with transport error 0x{code:x}{reason}.", transportErrorCode: code),
            _ => new QuicException(QuicError.TransportError, $"The connection was closed for transport error 0x{code:x}{reason}.", transportErrorCode: code),
        };
    }
}
