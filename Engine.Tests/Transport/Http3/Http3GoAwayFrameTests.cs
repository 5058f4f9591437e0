using CsCheck;
using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3GoAwayFrameTests
{
    [Fact]
    public void Write_RandomValue_ReadsBackAndEveryTruncationNeedsMoreData()
    {
        H3Gen.Varint.Sample(value =>
        {
            byte[] encoded = H3Assert.Encode(new Http3GoAwayFrame(value));
            Assert.Equal((byte)0x7, encoded[0]);
            Assert.Equal(Http3ReadStatus.Done, Http3GoAwayFrame.TryRead(H3Assert.Concat(encoded, [0x3F]), out Http3GoAwayFrame frame, out int consumed, out _));
            Assert.Equal(value, frame.Id);
            Assert.Equal(encoded.Length, consumed);
            H3Assert.AllTruncationsNeedMoreData(encoded, (ReadOnlySpan<byte> input, out int c, out Http3ErrorCode e) =>
                Http3GoAwayFrame.TryRead(input, out _, out c, out e));
        });
    }

    [Fact]
    public void TryReadPayload_TrailingByte_IsFrameError()
    {
        Assert.Equal(Http3ErrorCode.FrameError, Http3GoAwayFrame.TryReadPayload([0x05, 0x00], out _));
        Assert.Equal(Http3ReadStatus.Error, Http3GoAwayFrame.TryRead(H3Assert.Frame(0x7, 0x05, 0x00), out _, out _, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.FrameError, error);
    }

    [Fact]
    public void TryReadPayload_VarintCutShort_IsFrameError()
    {
        // A 2-byte varint announced by its first byte, but the frame says the payload is 1 byte.
        Assert.Equal(Http3ErrorCode.FrameError, Http3GoAwayFrame.TryReadPayload([0x40], out _));
        Assert.Equal(Http3ReadStatus.Error, Http3GoAwayFrame.TryRead(H3Assert.Frame(0x7, 0x40), out _, out _, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.FrameError, error);
    }

    [Fact]
    public void TryRead_NineBytePayloadAnnounced_IsFrameErrorFromHeaderAlone() =>
        Assert.Equal(Http3ReadStatus.Error, Http3GoAwayFrame.TryRead([0x7, 9], out _, out _, out _));
}
