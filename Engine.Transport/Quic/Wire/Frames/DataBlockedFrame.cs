using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>DATA_BLOCKED (type 0x14, RFC 9000 §19.12): the sender is blocked by connection flow control.</summary>
internal readonly record struct DataBlockedFrame(ulong MaximumData) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out DataBlockedFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.DataBlocked)
            || !reader.TryReadVarint(out ulong maximumData))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new DataBlockedFrame(maximumData);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(MaximumData);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.DataBlocked);
        writer.WriteVarint(MaximumData);
    }
}
