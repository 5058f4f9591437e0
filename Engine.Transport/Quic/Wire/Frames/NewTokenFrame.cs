using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// NEW_TOKEN (type 0x07, RFC 9000 §19.7): a token for a future connection's Initial packets.
/// <see cref="Token"/> points into the received packet.
/// </summary>
internal readonly ref struct NewTokenFrame : IQuicFrame
{
    public NewTokenFrame(ReadOnlySpan<byte> token) => Token = token;

    public ReadOnlySpan<byte> Token { get; }

    /// <summary>An empty token is a FRAME_ENCODING_ERROR.</summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out NewTokenFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.NewToken)
            || !reader.TryReadVarint(out ulong length)
            || length == 0
            || !reader.TryReadBytes(length, out ReadOnlySpan<byte> token))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new NewTokenFrame(token);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() => 1 + VarInt.GetLength((ulong)Token.Length) + Token.Length;

    public void Write(ref SpanWriter writer)
    {
        if (Token.IsEmpty)
        {
            throw new InvalidOperationException("A NEW_TOKEN frame's token must not be empty.");
        }

        writer.WriteByte((byte)QuicFrameType.NewToken);
        writer.WriteVarint((ulong)Token.Length);
        writer.WriteBytes(Token);
    }
}
