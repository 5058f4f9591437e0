using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>GOAWAY (type 0x7, RFC 9114 §7.2.6): from a server, the first client-initiated bidirectional stream ID it will not process; from a client, a push ID. IDs in successive GOAWAYs must not increase.</summary>
internal readonly record struct Http3GoAwayFrame(ulong Id) : IHttp3Frame
{
    /// <summary>
    /// Parses the payload (exactly one varint; anything else is <see cref="Http3ErrorCode.FrameError"/>).
    /// Returns <see cref="Http3ErrorCode.NoError"/> on success.
    /// </summary>
    public static Http3ErrorCode TryReadPayload(ReadOnlySpan<byte> payload, out Http3GoAwayFrame frame)
    {
        Http3ErrorCode error = Http3FrameCodec.TryReadSingleVarint(payload, out ulong value);
        frame = new Http3GoAwayFrame(value);
        return error;
    }

    /// <summary>Reads a whole frame, header included; another frame type is <see cref="Http3ErrorCode.FrameUnexpected"/>.</summary>
    public static Http3ReadStatus TryRead(ReadOnlySpan<byte> input, out Http3GoAwayFrame frame, out int bytesConsumed, out Http3ErrorCode error)
    {
        Http3ReadStatus status = Http3FrameCodec.TryReadSingleVarintFrame(input, Http3FrameType.GoAway, out ulong value, out bytesConsumed, out error);
        frame = new Http3GoAwayFrame(value);
        return status;
    }

    public int GetLength() => Http3FrameCodec.GetSingleVarintFrameLength(Http3FrameType.GoAway, Id);

    public void Write(ref SpanWriter writer) => Http3FrameCodec.WriteSingleVarintFrame(ref writer, Http3FrameType.GoAway, Id);
}
