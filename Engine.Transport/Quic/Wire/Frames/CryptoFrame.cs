using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// CRYPTO (type 0x06, RFC 9000 §19.6): TLS handshake bytes at an offset in the packet space's
/// crypto stream. <see cref="Data"/> points into the received packet.
/// </summary>
internal readonly ref struct CryptoFrame : IQuicFrame
{
    public CryptoFrame(ulong offset, ReadOnlySpan<byte> data)
    {
        Offset = offset;
        Data = data;
    }

    public ulong Offset { get; }

    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Fails with FRAME_ENCODING_ERROR when truncated or when offset + length exceeds 2^62 − 1.</summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out CryptoFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.Crypto)
            || !reader.TryReadVarint(out ulong offset)
            || !reader.TryReadVarint(out ulong length)
            || !reader.TryReadBytes(length, out ReadOnlySpan<byte> data)
            || !QuicFrameReading.IsEndWithinLimit(offset, data.Length))
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        frame = new CryptoFrame(offset, data);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>Bytes a CRYPTO frame takes before its data.</summary>
    public static int GetHeaderLength(ulong offset, int dataLength) =>
        1 + VarInt.GetLength(offset) + VarInt.GetLength((ulong)dataLength);

    public int GetLength() => GetHeaderLength(Offset, Data.Length) + Data.Length;

    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)QuicFrameType.Crypto);
        writer.WriteVarint(Offset);
        writer.WriteVarint((ulong)Data.Length);
        writer.WriteBytes(Data);
    }
}
