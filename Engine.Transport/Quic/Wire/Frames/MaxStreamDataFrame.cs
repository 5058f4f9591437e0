using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>MAX_STREAM_DATA (type 0x11, RFC 9000 §19.10): stream-level flow control credit.</summary>
internal readonly record struct MaxStreamDataFrame(ulong StreamId, ulong MaximumStreamData) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out MaxStreamDataFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.MaxStreamData)
            || !reader.TryReadVarint(out ulong streamId)
            || !reader.TryReadVarint(out ulong maximumStreamData))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new MaxStreamDataFrame(streamId, maximumStreamData);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(StreamId) + VarInt.GetLength(MaximumStreamData);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.MaxStreamData);
        writer.WriteVarint(StreamId);
        writer.WriteVarint(MaximumStreamData);
    }
}
