using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class CryptoFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(Gen.ULong[0, 1UL << 40], WireGen.Bytes(0, 300)).Sample((offset, data) =>
        {
            var frame = new CryptoFrame(offset, data);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, CryptoFrame.TryRead(ref reader, out CryptoFrame read));
            Assert.Equal(offset, read.Offset);
            Assert.Equal(data, read.Data.ToArray());
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void TryRead_Data_ReferencesTheInputWithoutCopying()
    {
        byte[] encoded = WireAssert.Encode(new CryptoFrame(0, [1, 2, 3, 4]));
        var reader = new SpanReader(encoded);

        CryptoFrame.TryRead(ref reader, out CryptoFrame frame);

        Assert.True(frame.Data.Overlaps(encoded));
    }

    [Fact]
    public void TryRead_OffsetPlusLengthBeyond2Pow62_ReturnsFrameEncodingError()
    {
        var buffer = new byte[32];
        var writer = new SpanWriter(buffer);
        writer.WriteByte(0x06);
        writer.WriteVarint(VarInt.MaxValue - 1);
        writer.WriteVarint(2);
        writer.WriteBytes([7, 7]);
        var reader = new SpanReader(writer.Written);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, CryptoFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var frame = new CryptoFrame(1000, [1, 2, 3, 4, 5]);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => CryptoFrame.TryRead(ref r, out _));
    }
}
