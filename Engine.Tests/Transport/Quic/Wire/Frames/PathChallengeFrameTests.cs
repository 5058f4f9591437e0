using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class PathChallengeFrameTests
{
    [Fact]
    public void Write_RandomData_ReadsBackEqualAndLengthMatches()
    {
        Gen.ULong.Sample(data =>
        {
            var frame = new PathChallengeFrame(data);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, PathChallengeFrame.TryRead(ref reader, out PathChallengeFrame read));
            Assert.Equal(frame, read);
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void Write_KnownData_IsTypeThenEightBytesBigEndian()
    {
        var frame = new PathChallengeFrame(0x0102030405060708);

        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(Convert.FromHexString("1a0102030405060708"), encoded);
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        byte[] encoded = WireAssert.Encode(new PathChallengeFrame(42));

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => PathChallengeFrame.TryRead(ref r, out _));
    }
}
