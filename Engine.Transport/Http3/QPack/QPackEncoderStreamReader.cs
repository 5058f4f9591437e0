namespace Engine.Transport.Http3.QPack;

/// <summary>
/// Reads the peer's encoder stream (RFC 9204 §4.3) when our decoder advertises a maximum table capacity of 0:
/// Set Dynamic Table Capacity 0 is accepted; any larger capacity, insert or duplicate is
/// QPACK_ENCODER_STREAM_ERROR.
/// </summary>
internal sealed class QPackEncoderStreamReader : QPackInstructionReader
{
    protected override QPackStatus StreamError => QPackStatus.EncoderStreamError;

    protected override QPackReadStatus TryParseInstruction(ReadOnlySpan<byte> input, out int consumed)
    {
        consumed = 0;
        // 1xxxxxxx Insert With Name Reference, 01xxxxxx Insert With Literal Name, 000xxxxx Duplicate:
        // all need a dynamic table (§4.3.2–§4.3.4), which cannot hold anything at capacity 0.
        if ((input[0] & 0xE0) != 0x20)
        {
            return QPackReadStatus.Invalid;
        }

        // 001 Capacity(5+): Set Dynamic Table Capacity (§4.3.1); above our maximum of 0 is an error.
        QPackReadStatus status = QPackIntegers.TryRead(input, 5, out ulong capacity, out consumed);
        return status == QPackReadStatus.Success && capacity != 0 ? QPackReadStatus.Invalid : status;
    }
}
