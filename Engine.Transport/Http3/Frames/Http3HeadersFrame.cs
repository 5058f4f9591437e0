using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// A HEADERS frame header (type 0x1, RFC 9114 §7.2.2). The payload is a QPACK field section,
/// opaque here. <see cref="TryReadFieldSection"/> reads the whole frame when it is buffered.
/// </summary>
internal readonly record struct Http3HeadersFrame(ulong FieldSectionLength) : IHttp3Frame
{
    /// <summary>Reads a HEADERS frame header only; another type is <see cref="Http3ErrorCode.FrameUnexpected"/>.</summary>
    public static Http3ReadStatus TryRead(ReadOnlySpan<byte> input, out Http3HeadersFrame frame, out int headerLength, out Http3ErrorCode error)
    {
        Http3ReadStatus status = Http3FrameCodec.TryReadStreamedHeader(input, Http3FrameType.Headers, out ulong length, out headerLength, out error);
        frame = new Http3HeadersFrame(length);
        return status;
    }

    /// <summary>
    /// Reads a whole HEADERS frame and returns its field section (a slice of the input).
    /// A field section larger than <paramref name="maxFieldSectionSize"/> is
    /// <see cref="Http3ErrorCode.ExcessiveLoad"/>, reported as soon as the header is in.
    /// </summary>
    public static Http3ReadStatus TryReadFieldSection(
        ReadOnlySpan<byte> input,
        ulong maxFieldSectionSize,
        out ReadOnlySpan<byte> fieldSection,
        out int bytesConsumed,
        out Http3ErrorCode error) =>
        Http3FrameCodec.TryReadBuffered(input, Http3FrameType.Headers, maxFieldSectionSize, out fieldSection, out bytesConsumed, out error);

    public int GetLength() => Http3FrameReader.GetHeaderLength((ulong)Http3FrameType.Headers, FieldSectionLength);

    public void Write(ref SpanWriter writer) => Http3FrameReader.WriteHeader(ref writer, (ulong)Http3FrameType.Headers, FieldSectionLength);

    /// <summary>Bytes a whole HEADERS frame around <paramref name="fieldSectionLength"/> bytes takes.</summary>
    public static int GetFrameLength(int fieldSectionLength) => new Http3HeadersFrame((ulong)fieldSectionLength).GetLength() + fieldSectionLength;

    /// <summary>Writes a whole HEADERS frame: header then the encoded field section.</summary>
    public static void WriteFrame(ref SpanWriter writer, scoped ReadOnlySpan<byte> fieldSection)
    {
        new Http3HeadersFrame((ulong)fieldSection.Length).Write(ref writer);
        writer.WriteBytes(fieldSection);
    }
}
