using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>RETIRE_CONNECTION_ID (type 0x19, RFC 9000 §19.16): the sender stops using a connection ID the peer issued.</summary>
internal readonly record struct RetireConnectionIdFrame(ulong SequenceNumber) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out RetireConnectionIdFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.RetireConnectionId)
            || !reader.TryReadVarint(out ulong sequenceNumber))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new RetireConnectionIdFrame(sequenceNumber);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(SequenceNumber);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.RetireConnectionId);
        writer.WriteVarint(SequenceNumber);
    }
}
