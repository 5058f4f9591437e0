using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>HANDSHAKE_DONE (type 0x1e, RFC 9000 §19.20): the server confirms the handshake; no fields.</summary>
internal readonly record struct HandshakeDoneFrame : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out HandshakeDoneFrame frame)
    {
        frame = default;
        return QuicFrameReading.TryReadType(ref reader, QuicFrameType.HandshakeDone)
            ? QuicTransportErrorCode.NoError
            : QuicTransportErrorCode.FrameEncodingError;
    }

    public int GetLength() => 1;

    public void Write(ref SpanWriter writer) => writer.WriteByte((byte)QuicFrameType.HandshakeDone);
}
