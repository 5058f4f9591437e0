namespace Engine.Transport.Http3.QPack;

/// <summary>
/// Reads the peer's decoder stream (RFC 9204 §4.4) when our encoder never uses the dynamic table. Stream
/// Cancellation is accepted. Section Acknowledgment is an error because we never send a field section with a
/// non-zero Required Insert Count (§4.4.1), and Insert Count Increment is an error because we never insert
/// (§4.4.3: zero, or beyond what the encoder sent). Errors are QPACK_DECODER_STREAM_ERROR.
/// </summary>
internal sealed class QPackDecoderStreamReader : QPackInstructionReader
{
    /// <summary>Stream Cancellation instructions seen; informational, as there is no table state to release.</summary>
    public long StreamCancellationCount { get; private set; }

    protected override QPackStatus StreamError => QPackStatus.DecoderStreamError;

    protected override QPackReadStatus TryParseInstruction(ReadOnlySpan<byte> input, out int consumed)
    {
        consumed = 0;
        // 1xxxxxxx Section Acknowledgment, 00xxxxxx Insert Count Increment.
        if ((input[0] & 0xC0) != 0x40)
        {
            return QPackReadStatus.Invalid;
        }

        // 01 StreamID(6+): Stream Cancellation (§4.4.2).
        QPackReadStatus status = QPackIntegers.TryRead(input, 6, out _, out consumed);
        if (status == QPackReadStatus.Success)
        {
            StreamCancellationCount++;
        }

        return status;
    }
}
