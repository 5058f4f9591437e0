using System.Buffers.Binary;
using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>PATH_CHALLENGE (type 0x1a, RFC 9000 §19.17): 8 bytes of unpredictable data the peer must echo. The 8 bytes are held big-endian in a <see cref="ulong"/> so the frame is a plain value.</summary>
internal readonly record struct PathChallengeFrame(ulong Data) : IQuicFrame
{
    public const int DataLength = 8;

    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out PathChallengeFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.PathChallenge)
            || !reader.TryReadBytes(DataLength, out ReadOnlySpan<byte> data))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new PathChallengeFrame(BinaryPrimitives.ReadUInt64BigEndian(data));
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + DataLength;

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.PathChallenge);
        writer.WriteUInt32((uint)(Data >> 32));
        writer.WriteUInt32((uint)Data);
    }
}
