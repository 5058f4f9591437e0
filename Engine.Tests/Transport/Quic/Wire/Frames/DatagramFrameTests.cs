using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class DatagramFrameTests
{
    [Fact]
    public void Write_RandomData_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(WireGen.Bytes(0, 1200), Gen.Bool).Sample((data, hasLength) =>
        {
            var frame = new DatagramFrame(data, hasLength);
            byte[] encoded = WireAssert.Encode(frame);

            Assert.Equal(hasLength ? 0x31 : 0x30, encoded[0]);
            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, DatagramFrame.TryRead(ref reader, out DatagramFrame read));
            Assert.Equal(data, read.Data.ToArray());
            Assert.Equal(hasLength, read.HasLength);
            Assert.True(read.Data.IsEmpty || read.Data.Overlaps(encoded));
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void TryRead_WithoutLength_TakesTheRestOfThePacket()
    {
        var reader = new SpanReader([0x30, 1, 2, 3]);

        Assert.Equal(QuicTransportErrorCode.NoError, DatagramFrame.TryRead(ref reader, out DatagramFrame frame));

        Assert.Equal(new byte[] { 1, 2, 3 }, frame.Data.ToArray());
    }

    [Fact]
    public void TryRead_EveryTruncationWithLength_ReturnsFrameEncodingError()
    {
        var frame = new DatagramFrame([1, 2, 3, 4], hasLength: true);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => DatagramFrame.TryRead(ref r, out _));
    }
}
