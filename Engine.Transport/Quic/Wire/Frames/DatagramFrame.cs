using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// DATAGRAM (types 0x30 without length, 0x31 with length, RFC 9221 §4): unreliable application
/// data. Without a length the data runs to the end of the packet. <see cref="Data"/> points into the packet.
/// </summary>
internal readonly ref struct DatagramFrame : IQuicFrame
{
    public DatagramFrame(ReadOnlySpan<byte> data, bool hasLength = true)
    {
        Data = data;
        HasLength = hasLength;
    }

    public ReadOnlySpan<byte> Data { get; }

    public bool HasLength { get; }

    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out DatagramFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.Datagram, QuicFrameType.DatagramWithLength, out ulong type))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        bool hasLength = type == (ulong)QuicFrameType.DatagramWithLength;
        ReadOnlySpan<byte> data;
        if (hasLength)
        {
            if (!reader.TryReadVarint(out ulong length) || !reader.TryReadBytes(length, out data))
            {
                return QuicTransportErrorCode.FrameEncodingError;
            }
        }
        else
        {
            data = reader.ReadToEnd();
        }

        frame = new DatagramFrame(data, hasLength);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>Bytes a DATAGRAM frame takes before its data.</summary>
    public static int GetHeaderLength(int dataLength, bool hasLength) =>
        1 + (hasLength ? VarInt.GetLength((ulong)dataLength) : 0);

    public int GetLength() => GetHeaderLength(Data.Length, HasLength) + Data.Length;

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)(HasLength ? QuicFrameType.DatagramWithLength : QuicFrameType.Datagram));
        if (HasLength)
        {
            writer.WriteVarint((ulong)Data.Length);
        }

        writer.WriteBytes(Data);
    }
}
