namespace Engine.Transport.Quic.Wire;

/// <summary>Transport error codes (RFC 9000 §20.1), carried in CONNECTION_CLOSE type 0x1c.</summary>
internal enum QuicTransportErrorCode : ulong
{
    NoError = 0x0,
    InternalError = 0x1,
    ConnectionRefused = 0x2,
    FlowControlError = 0x3,
    StreamLimitError = 0x4,
    StreamStateError = 0x5,
    FinalSizeError = 0x6,
    FrameEncodingError = 0x7,
    TransportParameterError = 0x8,
    ConnectionIdLimitError = 0x9,
    ProtocolViolation = 0xa,
    InvalidToken = 0xb,
    ApplicationError = 0xc,
    CryptoBufferExceeded = 0xd,
    KeyUpdateError = 0xe,
    AeadLimitReached = 0xf,
    NoViablePath = 0x10,

    /// <summary>First of the CRYPTO_ERROR range 0x100–0x1ff: 0x100 plus a TLS alert.</summary>
    CryptoErrorFirst = 0x100,

    /// <summary>Last of the CRYPTO_ERROR range.</summary>
    CryptoErrorLast = 0x1ff,
}

/// <summary>Helpers for the CRYPTO_ERROR range, where the low byte is a TLS alert description.</summary>
internal static class QuicTransportErrors
{
    /// <summary>The transport error that carries TLS alert <paramref name="tlsAlert"/>.</summary>
    public static QuicTransportErrorCode CryptoError(byte tlsAlert) =>
        QuicTransportErrorCode.CryptoErrorFirst + tlsAlert;

    public static bool IsCryptoError(QuicTransportErrorCode code) =>
        code is >= QuicTransportErrorCode.CryptoErrorFirst and <= QuicTransportErrorCode.CryptoErrorLast;

    /// <summary>The TLS alert inside a CRYPTO_ERROR code; false for any other code.</summary>
    public static bool TryGetTlsAlert(QuicTransportErrorCode code, out byte tlsAlert)
    {
        tlsAlert = IsCryptoError(code) ? (byte)((ulong)code - 0x100) : (byte)0;
        return IsCryptoError(code);
    }
}
