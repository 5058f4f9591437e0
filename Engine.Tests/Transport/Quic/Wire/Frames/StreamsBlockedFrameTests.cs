using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class StreamsBlockedFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(Gen.Bool, Gen.ULong[0, 1UL << 60]).Sample((bidirectional, maximum) =>
        {
            var frame = new StreamsBlockedFrame(bidirectional, maximum);
            byte[] encoded = WireAssert.Encode(frame);

            Assert.Equal(bidirectional ? 0x16 : 0x17, encoded[0]);
            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, StreamsBlockedFrame.TryRead(ref reader, out StreamsBlockedFrame read));
            Assert.Equal(frame, read);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void TryRead_CountAbove2Pow60_ReturnsFrameEncodingError()
    {
        byte[] encoded = new byte[9];
        encoded[0] = 0x16;
        VarInt.Write(encoded.AsSpan(1), (1UL << 60) + 1);
        var reader = new SpanReader(encoded);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, StreamsBlockedFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void Write_CountAbove2Pow60_Throws()
    {
        var frame = new StreamsBlockedFrame(true, (1UL << 60) + 1);
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
        var frame = new StreamsBlockedFrame(false, 100_000);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => StreamsBlockedFrame.TryRead(ref r, out _));
    }
}
