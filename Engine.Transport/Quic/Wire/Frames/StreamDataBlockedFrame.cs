using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>STREAM_DATA_BLOCKED (type 0x15, RFC 9000 §19.13): the sender is blocked by stream flow control.</summary>
internal readonly record struct StreamDataBlockedFrame(ulong StreamId, ulong MaximumStreamData) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out StreamDataBlockedFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.StreamDataBlocked)
            || !reader.TryReadVarint(out ulong streamId)
            || !reader.TryReadVarint(out ulong maximumStreamData))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new StreamDataBlockedFrame(streamId, maximumStreamData);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(StreamId) + VarInt.GetLength(MaximumStreamData);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.StreamDataBlocked);
        writer.WriteVarint(StreamId);
        writer.WriteVarint(MaximumStreamData);
    }
}
