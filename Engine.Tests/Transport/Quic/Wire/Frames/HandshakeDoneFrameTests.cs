using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class HandshakeDoneFrameTests
{
    [Fact]
    public void Write_Frame_IsTheSingleTypeByteAndReadsBack()
    {
        var frame = default(HandshakeDoneFrame);

        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(Convert.FromHexString("1E"), encoded);
        WireAssert.ReadsCompletely(encoded, (ref SpanReader r) => HandshakeDoneFrame.TryRead(ref r, out _));
    }

    [Fact]
    public void TryRead_EmptyOrOtherType_ReturnsFrameEncodingError()
    {
        WireAssert.AllTruncationsRejected([0x1E], (ref SpanReader r) => HandshakeDoneFrame.TryRead(ref r, out _));
        var reader = new SpanReader([0x00]);
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, HandshakeDoneFrame.TryRead(ref reader, out _));
    }
}
