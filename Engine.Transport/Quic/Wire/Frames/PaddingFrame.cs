using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>A run of PADDING bytes (type 0x00, RFC 9000 §19.1), read as one frame of <see cref="Length"/> bytes.</summary>
internal readonly record struct PaddingFrame(int Length) : IQuicFrame
{
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out PaddingFrame frame)
    {
        ReadOnlySpan<byte> rest = reader.RemainingSpan;
        int zeros = rest.IndexOfAnyExcept((byte)0);
        if (zeros < 0)
        {
            zeros = rest.Length;
        }

        frame = new PaddingFrame(zeros);
        reader.TrySkip(zeros);
        return zeros == 0 ? QuicTransportErrorCode.FrameEncodingError : QuicTransportErrorCode.NoError;
    }

    public int GetLength() => Length;

    public void Write(ref SpanWriter writer) => writer.WriteZeros(Length);
}
