using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class PathResponseFrameTests
{
    [Fact]
    public void Write_RandomData_ReadsBackEqualAndLengthMatches()
    {
        Gen.ULong.Sample(data =>
        {
            var frame = new PathResponseFrame(data);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, PathResponseFrame.TryRead(ref reader, out PathResponseFrame read));
            Assert.Equal(frame, read);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void Write_KnownData_IsTypeThenEightBytesBigEndian()
    {
        var frame = new PathResponseFrame(0x0102030405060708);

        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(Convert.FromHexString("1b0102030405060708"), encoded);
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        byte[] encoded = WireAssert.Encode(new PathResponseFrame(42));

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => PathResponseFrame.TryRead(ref r, out _));
    }
}
