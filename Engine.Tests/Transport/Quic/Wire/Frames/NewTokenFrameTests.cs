using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class NewTokenFrameTests
{
    [Fact]
    public void Write_RandomToken_ReadsBackEqualAndLengthMatches()
    {
        WireGen.Bytes(1, 200).Sample(token =>
        {
            var frame = new NewTokenFrame(token);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, NewTokenFrame.TryRead(ref reader, out NewTokenFrame read));
            Assert.Equal(token, read.Token.ToArray());
            Assert.True(read.Token.Overlaps(encoded));
        });
    }

    [Fact]
    public void TryRead_EmptyToken_ReturnsFrameEncodingError()
    {
        var reader = new SpanReader([0x07, 0x00]);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, NewTokenFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var frame = new NewTokenFrame([9, 8, 7]);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => NewTokenFrame.TryRead(ref r, out _));
    }
}
