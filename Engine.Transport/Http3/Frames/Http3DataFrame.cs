using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>
/// A DATA frame header (type 0x0, RFC 9114 §7.2.1). The payload is streamed: the codec covers
/// the header only; the caller writes or reads the <see cref="PayloadLength"/> bytes after it
/// (on the read side with <see cref="Http3PayloadCursor"/>).
/// </summary>
internal readonly record struct Http3DataFrame(ulong PayloadLength) : IHttp3Frame
{
    /// <summary>
    /// Reads a DATA frame header. Another frame type is <see cref="Http3ErrorCode.FrameUnexpected"/>
    /// (the caller expected DATA here). No payload bytes need to be present.
    /// </summary>
    public static Http3ReadStatus TryRead(ReadOnlySpan<byte> input, out Http3DataFrame frame, out int headerLength, out Http3ErrorCode error)
    {
        Http3ReadStatus status = Http3FrameCodec.TryReadStreamedHeader(input, Http3FrameType.Data, out ulong length, out headerLength, out error);
        frame = new Http3DataFrame(length);
        return status;
    }

    public int GetLength() => Http3FrameReader.GetHeaderLength((ulong)Http3FrameType.Data, PayloadLength);

    public void Write(ref SpanWriter writer) => Http3FrameReader.WriteHeader(ref writer, (ulong)Http3FrameType.Data, PayloadLength);

    /// <summary>Bytes a whole DATA frame carrying <paramref name="payloadLength"/> bytes takes.</summary>
    public static int GetFrameLength(int payloadLength) => new Http3DataFrame((ulong)payloadLength).GetLength() + payloadLength;

    /// <summary>Writes a whole DATA frame: header then <paramref name="payload"/>.</summary>
    public static void WriteFrame(ref SpanWriter writer, scoped ReadOnlySpan<byte> payload)
    {
        new Http3DataFrame((ulong)payload.Length).Write(ref writer);
        writer.WriteBytes(payload);
    }
}
