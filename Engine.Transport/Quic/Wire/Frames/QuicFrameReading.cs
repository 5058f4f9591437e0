using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>Shared checks for frame parsers.</summary>
internal static class QuicFrameReading
{
    /// <summary>Largest stream count MAX_STREAMS and STREAMS_BLOCKED may carry (RFC 9000 §19.11, §19.14).</summary>
    public const ulong MaxStreamCount = 1UL << 60;

    /// <summary>Reads the frame type and checks it is one of <paramref name="first"/>..<paramref name="last"/>.</summary>
    public static bool TryReadType(ref SpanReader reader, QuicFrameType first, QuicFrameType last, out ulong type) =>
        reader.TryReadVarint(out type) && type >= (ulong)first && type <= (ulong)last;

    public static bool TryReadType(ref SpanReader reader, QuicFrameType expected) =>
        reader.TryReadVarint(out ulong type) && type == (ulong)expected;

    /// <summary>True when offset + length stays within 2^62 − 1, the largest stream or CRYPTO offset.</summary>
    public static bool IsEndWithinLimit(ulong offset, int length) =>
        offset <= VarInt.MaxValue && (ulong)length <= VarInt.MaxValue - offset;
}
