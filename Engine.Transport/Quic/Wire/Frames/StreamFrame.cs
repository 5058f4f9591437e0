using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// STREAM (types 0x08–0x0f, RFC 9000 §19.8). The type's low bits say whether an offset is present
/// (OFF 0x04), whether a length is present (LEN 0x02; without it the data runs to the end of the
/// packet) and whether this is the stream's end (FIN 0x01). <see cref="Data"/> points into the packet.
/// </summary>
internal readonly ref struct StreamFrame : IQuicFrame
{
    public const byte OffsetBit = 0x04;
    public const byte LengthBit = 0x02;
    public const byte FinBit = 0x01;

    /// <summary>A STREAM frame; with <paramref name="hasLength"/> false it must be the packet's last frame.</summary>
    public StreamFrame(ulong streamId, ulong offset, ReadOnlySpan<byte> data, bool fin, bool hasLength = true)
    {
        StreamId = streamId;
        Offset = offset;
        Data = data;
        Fin = fin;
        HasLength = hasLength;
    }

    public ulong StreamId { get; }

    public ulong Offset { get; }

    public ReadOnlySpan<byte> Data { get; }

    public bool Fin { get; }

    public bool HasLength { get; }

    /// <summary>Fails with FRAME_ENCODING_ERROR when truncated or when offset + length exceeds 2^62 − 1.</summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out StreamFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.Stream, QuicFrameType.StreamLast, out ulong type)
            || !reader.TryReadVarint(out ulong streamId))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        ulong offset = 0;
        if ((type & OffsetBit) != 0 && !reader.TryReadVarint(out offset))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        bool hasLength = (type & LengthBit) != 0;
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

        if (!QuicFrameReading.IsEndWithinLimit(offset, data.Length))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new StreamFrame(streamId, offset, data, (type & FinBit) != 0, hasLength);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>Bytes a STREAM frame takes before its data (the offset is omitted when 0).</summary>
    public static int GetHeaderLength(ulong streamId, ulong offset, int dataLength, bool hasLength) =>
        1 + VarInt.GetLength(streamId)
        + (offset != 0 ? VarInt.GetLength(offset) : 0)
        + (hasLength ? VarInt.GetLength((ulong)dataLength) : 0);

    public int GetLength() => GetHeaderLength(StreamId, Offset, Data.Length, HasLength) + Data.Length;

    public void Write(ref SpanWriter writer)
    {
        if (!QuicFrameReading.IsEndWithinLimit(Offset, Data.Length))
        {
            throw new InvalidOperationException("A stream's data ends at most at offset 2^62 - 1.");
        }

        writer.WriteByte((byte)((byte)QuicFrameType.Stream
            | (Offset != 0 ? OffsetBit : 0)
            | (HasLength ? LengthBit : 0)
            | (Fin ? FinBit : 0)));
        writer.WriteVarint(StreamId);
        if (Offset != 0)
        {
            writer.WriteVarint(Offset);
        }

        if (HasLength)
        {
            writer.WriteVarint((ulong)Data.Length);
        }

        writer.WriteBytes(Data);
    }
}
