using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>PING (type 0x01, RFC 9000 §19.2): no fields; elicits an acknowledgment.</summary>
internal readonly record struct PingFrame : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out PingFrame frame)
    {
        frame = default;
        return QuicFrameReading.TryReadType(ref reader, QuicFrameType.Ping)
            ? QuicTransportErrorCode.NoError
            : QuicTransportErrorCode.FrameEncodingError;
    }

    public int GetLength() => 1;

    public void Write(ref SpanWriter writer) => writer.WriteByte((byte)QuicFrameType.Ping);
}
