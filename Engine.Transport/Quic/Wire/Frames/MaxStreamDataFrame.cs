namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>MAX_STREAM_DATA (type 0x11, RFC 9000 §19.10): stream-level flow control credit.</summary>
internal readonly record struct MaxStreamDataFrame(ulong StreamId, ulong MaximumStreamData) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref QuicReader reader, out MaxStreamDataFrame frame)
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

    public int GetLength() => 1 + QuicVarint.GetLength(StreamId) + QuicVarint.GetLength(MaximumStreamData);

    public void Write(ref QuicWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.MaxStreamData);
        writer.WriteVarint(StreamId);
        writer.WriteVarint(MaximumStreamData);
    }
}
