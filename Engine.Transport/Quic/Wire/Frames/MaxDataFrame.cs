using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>MAX_DATA (type 0x10, RFC 9000 §19.9): connection-level flow control credit.</summary>
internal readonly record struct MaxDataFrame(ulong MaximumData) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out MaxDataFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.MaxData)
            || !reader.TryReadVarint(out ulong maximumData))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new MaxDataFrame(maximumData);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(MaximumData);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.MaxData);
        writer.WriteVarint(MaximumData);
    }
}
