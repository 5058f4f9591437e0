using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>MAX_STREAMS (types 0x12 bidirectional, 0x13 unidirectional, RFC 9000 §19.11): the cumulative number of streams the peer may open.</summary>
internal readonly record struct MaxStreamsFrame(bool Bidirectional, ulong MaximumStreams) : IQuicFrame
{
    /// <summary>Stream counts above 2^60 are a FRAME_ENCODING_ERROR: stream IDs could not express them.</summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out MaxStreamsFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.MaxStreamsBidirectional, QuicFrameType.MaxStreamsUnidirectional, out ulong type)
            || !reader.TryReadVarint(out ulong maximumStreams)
            || maximumStreams > QuicFrameReading.MaxStreamCount)
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new MaxStreamsFrame(type == (ulong)QuicFrameType.MaxStreamsBidirectional, maximumStreams);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(MaximumStreams);

    public void Write(ref SpanWriter writer)
    {
        if (MaximumStreams > QuicFrameReading.MaxStreamCount)
        {
            throw new InvalidOperationException($"{nameof(MaximumStreams)} is at most 2^60, not {MaximumStreams}.");
        }

        writer.WriteByte((byte)(Bidirectional ? QuicFrameType.MaxStreamsBidirectional : QuicFrameType.MaxStreamsUnidirectional));
        writer.WriteVarint(MaximumStreams);
    }
}
