using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class StreamDataBlockedFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(WireGen.Varint, WireGen.Varint).Sample((a, b) =>
        {
            var frame = new StreamDataBlockedFrame(a, b);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, StreamDataBlockedFrame.TryRead(ref reader, out StreamDataBlockedFrame read));
            Assert.Equal(frame, read);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var frame = new StreamDataBlockedFrame(4, 4660);
        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(0x15, encoded[0]);
        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => StreamDataBlockedFrame.TryRead(ref r, out _));
    }

    [Fact]
    public void TryRead_OtherFrameType_ReturnsFrameEncodingError()
    {
        var reader = new SpanReader([0x01, 0x00, 0x00, 0x00]);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, StreamDataBlockedFrame.TryRead(ref reader, out _));
    }
}
