using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class PingFrameTests
{
    [Fact]
    public void Write_Frame_IsTheSingleTypeByteAndReadsBack()
    {
        var frame = default(PingFrame);

        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(Convert.FromHexString("01"), encoded);
        WireAssert.ReadsCompletely(encoded, (ref SpanReader r) => PingFrame.TryRead(ref r, out _));
    }

    [Fact]
    public void TryRead_EmptyOrOtherType_ReturnsFrameEncodingError()
    {
        WireAssert.AllTruncationsRejected([0x01], (ref SpanReader r) => PingFrame.TryRead(ref r, out _));
        var reader = new SpanReader([0x00]);
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, PingFrame.TryRead(ref reader, out _));
    }
}
