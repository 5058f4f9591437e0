using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire;

internal delegate QuicTransportErrorCode FrameRead(ref SpanReader reader);

internal delegate void FrameWrite(ref SpanWriter writer);

internal static class WireAssert
{
    /// <summary>Writes into a roomy buffer, checks exactly <paramref name="expectedLength"/> bytes were written, returns them.</summary>
    public static byte[] Written(int expectedLength, FrameWrite write)
    {
        var buffer = new byte[expectedLength + 32];
        var writer = new SpanWriter(buffer);
        write(ref writer);
        Assert.Equal(expectedLength, writer.Position);
        return buffer[..writer.Position];
    }

    /// <summary>Writes a frame, checking GetLength matches the bytes written.</summary>
    public static byte[] Encode<TFrame>(scoped in TFrame frame)
        where TFrame : IQuicFrame, allows ref struct
    {
        int length = frame.GetLength();
        var buffer = new byte[length + 32];
        var writer = new SpanWriter(buffer);
        frame.Write(ref writer);
        Assert.Equal(length, writer.Position);
        return buffer[..length];
    }

    /// <summary>Every proper prefix of a valid encoding is rejected, without an exception.</summary>
    public static void AllTruncationsRejected(byte[] encoded, FrameRead read)
    {
        for (int length = 0; length < encoded.Length; length++)
        {
            var reader = new SpanReader(encoded.AsSpan(0, length));
            QuicTransportErrorCode error = read(ref reader);
            Assert.True(error != QuicTransportErrorCode.NoError, $"A {length}-byte prefix of {Convert.ToHexString(encoded)} was accepted.");
        }
    }

    /// <summary>The encoding reads back with no error and consumes every byte.</summary>
    public static void ReadsCompletely(byte[] encoded, FrameRead read)
    {
        var reader = new SpanReader(encoded);
        Assert.Equal(QuicTransportErrorCode.NoError, read(ref reader));
        Assert.Equal(0, reader.Remaining);
    }
}

internal static class WireGen
{
    /// <summary>Varint values spread across all four encoded lengths.</summary>
    public static readonly Gen<ulong> Varint = Gen.OneOf(
        Gen.ULong[0, 63],
        Gen.ULong[64, 16_383],
        Gen.ULong[16_384, (1UL << 30) - 1],
        Gen.ULong[1UL << 30, VarInt.MaxValue]);

    public static Gen<byte[]> Bytes(int minLength, int maxLength) => Gen.Byte.Array[minLength, maxLength];
}
