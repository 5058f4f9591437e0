using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class MaxStreamsFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(Gen.Bool, Gen.ULong[0, 1UL << 60]).Sample((bidirectional, maximum) =>
        {
            var frame = new MaxStreamsFrame(bidirectional, maximum);
            byte[] encoded = WireAssert.Encode(frame);

            Assert.Equal(bidirectional ? 0x12 : 0x13, encoded[0]);
            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, MaxStreamsFrame.TryRead(ref reader, out MaxStreamsFrame read));
            Assert.Equal(frame, read);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void TryRead_CountAbove2Pow60_ReturnsFrameEncodingError()
    {
        byte[] encoded = new byte[9];
        encoded[0] = 0x12;
        VarInt.Write(encoded.AsSpan(1), (1UL << 60) + 1);
        var reader = new SpanReader(encoded);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, MaxStreamsFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void Write_CountAbove2Pow60_Throws()
    {
        var frame = new MaxStreamsFrame(true, (1UL << 60) + 1);
        var buffer = new byte[16];

        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new SpanWriter(buffer);
            frame.Write(ref writer);
        });
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var frame = new MaxStreamsFrame(false, 100_000);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => MaxStreamsFrame.TryRead(ref r, out _));
    }
}
