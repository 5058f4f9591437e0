using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>CANCEL_PUSH (type 0x3, RFC 9114 §7.2.3): the push ID of a server push being cancelled.</summary>
internal readonly record struct Http3CancelPushFrame(ulong PushId) : IHttp3Frame
{
    /// <summary>
    /// Parses the payload (exactly one varint; anything else is <see cref="Http3ErrorCode.FrameError"/>).
    /// Returns <see cref="Http3ErrorCode.NoError"/> on success.
    /// </summary>
    public static Http3ErrorCode TryReadPayload(ReadOnlySpan<byte> payload, out Http3CancelPushFrame frame)
    {
        Http3ErrorCode error = Http3FrameCodec.TryReadSingleVarint(payload, out ulong value);
        frame = new Http3CancelPushFrame(value);
        return error;
    }

    /// <summary>Reads a whole frame, header included; another frame type is <see cref="Http3ErrorCode.FrameUnexpected"/>.</summary>
    public static Http3ReadStatus TryRead(ReadOnlySpan<byte> input, out Http3CancelPushFrame frame, out int bytesConsumed, out Http3ErrorCode error)
    {
        Http3ReadStatus status = Http3FrameCodec.TryReadSingleVarintFrame(input, Http3FrameType.CancelPush, out ulong value, out bytesConsumed, out error);
        frame = new Http3CancelPushFrame(value);
        return status;
    }

    public int GetLength() => Http3FrameCodec.GetSingleVarintFrameLength(Http3FrameType.CancelPush, PushId);

    public void Write(ref SpanWriter writer) => Http3FrameCodec.WriteSingleVarintFrame(ref writer, Http3FrameType.CancelPush, PushId);
}
