namespace Engine.Transport.Http3.QPack;

/// <summary>QPACK connection error codes (RFC 9204 §6), sent as HTTP/3 application error codes.</summary>
internal enum QPackErrorCode : ulong
{
    DecompressionFailed = 0x200,
    EncoderStreamError = 0x201,
    DecoderStreamError = 0x202,
}

/// <summary>Outcome of decoding a field section or reading an instruction stream; peer bytes never throw.</summary>
internal enum QPackStatus
{
    Success,

    /// <summary>
    /// The decoded field section exceeds the caller's limit (RFC 9114 §4.2.2). Not a QPACK error:
    /// HTTP/3 decides how to answer (e.g. 431 for a request).
    /// </summary>
    FieldSectionTooLarge,

    /// <summary>QPACK_DECOMPRESSION_FAILED: malformed or dynamic-table reference in a field section.</summary>
    DecompressionFailed,

    /// <summary>QPACK_ENCODER_STREAM_ERROR: bad instruction on the peer's encoder stream.</summary>
    EncoderStreamError,

    /// <summary>QPACK_DECODER_STREAM_ERROR: bad instruction on the peer's decoder stream.</summary>
    DecoderStreamError,
}

internal static class QPackStatusExtensions
{
    /// <summary>The connection error code for an error status; false for Success and FieldSectionTooLarge.</summary>
    public static bool TryGetErrorCode(this QPackStatus status, out QPackErrorCode errorCode)
    {
        errorCode = status switch
        {
            QPackStatus.DecompressionFailed => QPackErrorCode.DecompressionFailed,
            QPackStatus.EncoderStreamError => QPackErrorCode.EncoderStreamError,
            QPackStatus.DecoderStreamError => QPackErrorCode.DecoderStreamError,
            _ => 0,
        };
        return errorCode != 0;
    }
}
