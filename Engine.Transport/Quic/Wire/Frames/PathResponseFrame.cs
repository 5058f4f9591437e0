using System.Buffers.Binary;
using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>PATH_RESPONSE (type 0x1b, RFC 9000 §19.18): echoes a PATH_CHALLENGE's data. The 8 bytes are held big-endian in a <see cref="ulong"/> so the frame is a plain value.</summary>
internal readonly record struct PathResponseFrame(ulong Data) : IQuicFrame
{
    public const int DataLength = 8;

    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out PathResponseFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.PathResponse)
            || !reader.TryReadBytes(DataLength, out ReadOnlySpan<byte> data))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new PathResponseFrame(BinaryPrimitives.ReadUInt64BigEndian(data));
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + DataLength;

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.PathResponse);
        writer.WriteUInt32((uint)(Data >> 32));
        writer.WriteUInt32((uint)Data);
    }
}
