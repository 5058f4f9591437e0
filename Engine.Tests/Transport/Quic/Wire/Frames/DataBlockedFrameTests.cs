using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class DataBlockedFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        WireGen.Varint.Sample(value =>
        {
            var frame = new DataBlockedFrame(value);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, DataBlockedFrame.TryRead(ref reader, out DataBlockedFrame read));
            Assert.Equal(frame, read);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var frame = new DataBlockedFrame(4);
        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(0x14, encoded[0]);
        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => DataBlockedFrame.TryRead(ref r, out _));
    }

    [Fact]
    public void TryRead_OtherFrameType_ReturnsFrameEncodingError()
    {
        var reader = new SpanReader([0x01, 0x00, 0x00, 0x00]);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, DataBlockedFrame.TryRead(ref reader, out _));
    }
}
