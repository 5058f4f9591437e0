using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>RESET_STREAM (type 0x04, RFC 9000 §19.4): abruptly ends the sending part of a stream.</summary>
internal readonly record struct ResetStreamFrame(ulong StreamId, ulong ApplicationErrorCode, ulong FinalSize) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out ResetStreamFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.ResetStream)
            || !reader.TryReadVarint(out ulong streamId)
            || !reader.TryReadVarint(out ulong applicationErrorCode)
            || !reader.TryReadVarint(out ulong finalSize))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new ResetStreamFrame(streamId, applicationErrorCode, finalSize);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(StreamId) + VarInt.GetLength(ApplicationErrorCode) + VarInt.GetLength(FinalSize);

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.ResetStream);
        writer.WriteVarint(StreamId);
        writer.WriteVarint(ApplicationErrorCode);
        writer.WriteVarint(FinalSize);
    }
}
