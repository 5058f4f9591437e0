using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class PaddingFrameTests
{
    [Fact]
    public void Write_RandomLength_ReadsBackAsOneRunOfThatLength()
    {
        Gen.Int[1, 1500].Sample(length =>
        {
            var frame = new PaddingFrame(length);
            byte[] encoded = WireAssert.Encode(frame);

            Assert.All(encoded, b => Assert.Equal(0, b));
            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, PaddingFrame.TryRead(ref reader, out PaddingFrame read));
            Assert.Equal(frame, read);
        });
    }

    [Fact]
    public void TryRead_ZerosThenPing_StopsAtThePing()
    {
        var reader = new SpanReader([0x00, 0x00, 0x00, 0x01]);

        Assert.Equal(QuicTransportErrorCode.NoError, PaddingFrame.TryRead(ref reader, out PaddingFrame frame));

        Assert.Equal(3, frame.Length);
        Assert.Equal(1, reader.Remaining);
    }

    [Fact]
    public void TryRead_EmptyOrNonZero_ReturnsFrameEncodingError()
    {
        var empty = new SpanReader([]);
        var ping = new SpanReader([0x01]);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, PaddingFrame.TryRead(ref empty, out _));
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, PaddingFrame.TryRead(ref ping, out _));
    }
}
