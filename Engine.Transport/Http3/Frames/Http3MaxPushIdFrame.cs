using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>MAX_PUSH_ID (type 0xd, RFC 9114 §7.2.7): the largest push ID the client lets the server use; sent by clients only, on the control stream.</summary>
internal readonly record struct Http3MaxPushIdFrame(ulong PushId) : IHttp3Frame
{
    /// <summary>
    /// Parses the payload (exactly one varint; anything else is <see cref="Http3ErrorCode.FrameError"/>).
    /// Returns <see cref="Http3ErrorCode.NoError"/> on success.
    /// </summary>
    public static Http3ErrorCode TryReadPayload(ReadOnlySpan<byte> payload, out Http3MaxPushIdFrame frame)
    {
        Http3ErrorCode error = Http3FrameCodec.TryReadSingleVarint(payload, out ulong value);
        frame = new Http3MaxPushIdFrame(value);
        return error;
    }

    /// <summary>Reads a whole frame, header included; another frame type is <see cref="Http3ErrorCode.FrameUnexpected"/>.</summary>
    public static Http3ReadStatus TryRead(ReadOnlySpan<byte> input, out Http3MaxPushIdFrame frame, out int bytesConsumed, out Http3ErrorCode error)
    {
        Http3ReadStatus status = Http3FrameCodec.TryReadSingleVarintFrame(input, Http3FrameType.MaxPushId, out ulong value, out bytesConsumed, out error);
        frame = new Http3MaxPushIdFrame(value);
        return status;
    }

    public int GetLength() => Http3FrameCodec.GetSingleVarintFrameLength(Http3FrameType.MaxPushId, PushId);

    public void Write(ref SpanWriter writer) => Http3FrameCodec.WriteSingleVarintFrame(ref writer, Http3FrameType.MaxPushId, PushId);
}
