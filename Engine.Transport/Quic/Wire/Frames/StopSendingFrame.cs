using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>STOP_SENDING (type 0x05, RFC 9000 §19.5): asks the peer to stop sending on a stream.</summary>
internal readonly record struct StopSendingFrame(ulong StreamId, ulong ApplicationErrorCode) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out StopSendingFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.StopSending)
            || !reader.TryReadVarint(out ulong streamId)
            || !reader.TryReadVarint(out ulong applicationErrorCode))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new StopSendingFrame(streamId, applicationErrorCode);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(StreamId) + VarInt.GetLength(ApplicationErrorCode);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.StopSending);
        writer.WriteVarint(StreamId);
        writer.WriteVarint(ApplicationErrorCode);
    }
}
