using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>STREAMS_BLOCKED (types 0x16 bidirectional, 0x17 unidirectional, RFC 9000 §19.14): the sender wants to open more streams than allowed.</summary>
internal readonly record struct StreamsBlockedFrame(bool Bidirectional, ulong MaximumStreams) : IQuicFrame
{
    /// <summary>Stream counts above 2^60 are a FRAME_ENCODING_ERROR: stream IDs could not express them.</summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out StreamsBlockedFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.StreamsBlockedBidirectional, QuicFrameType.StreamsBlockedUnidirectional, out ulong type)
            || !reader.TryReadVarint(out ulong maximumStreams)
            || maximumStreams > QuicFrameReading.MaxStreamCount)
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new StreamsBlockedFrame(type == (ulong)QuicFrameType.StreamsBlockedBidirectional, maximumStreams);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength(MaximumStreams);

    public void Write(ref SpanWriter writer)
    {
        if (MaximumStreams > QuicFrameReading.MaxStreamCount)
        {
            throw new InvalidOperationException($"{nameof(MaximumStreams)} is at most 2^60, not {MaximumStreams}.");
        }

        writer.WriteByte((byte)(Bidirectional ? QuicFrameType.StreamsBlockedBidirectional : QuicFrameType.StreamsBlockedUnidirectional));
        writer.WriteVarint(MaximumStreams);
    }
}
