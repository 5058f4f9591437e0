using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Http3;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Http3;

public class Http3DataFrameTests
{
    [Fact]
    public void Write_RandomPayloadLength_ReadsBackTheSameHeader()
    {
        H3Gen.Varint.Sample(length =>
        {
            byte[] encoded = H3Assert.Encode(new Http3DataFrame(length));
            Assert.Equal(Http3ReadStatus.Done, Http3DataFrame.TryRead(encoded, out Http3DataFrame frame, out int headerLength, out _));
            Assert.Equal(length, frame.PayloadLength);
            Assert.Equal(encoded.Length, headerLength);
            H3Assert.AllTruncationsNeedMoreData(encoded, (ReadOnlySpan<byte> input, out int c, out Http3ErrorCode e) =>
                Http3DataFrame.TryRead(input, out _, out c, out e));
        });
    }

    [Fact]
    public void WriteFrame_Payload_IsHeaderThenPayload()
    {
        byte[] payload = [1, 2, 3];
        var buffer = new byte[Http3DataFrame.GetFrameLength(payload.Length)];
        var writer = new SpanWriter(buffer);
        Http3DataFrame.WriteFrame(ref writer, payload);
        Assert.Equal("0003010203", Convert.ToHexString(buffer));
    }

    [Fact]
    public void TryRead_HeadersFrame_IsFrameUnexpected()
    {
        Assert.Equal(Http3ReadStatus.Error, Http3DataFrame.TryRead(H3Assert.Frame(0x1, 0), out _, out int consumed, out Http3ErrorCode error));
        Assert.Equal(Http3ErrorCode.FrameUnexpected, error);
        Assert.Equal(0, consumed);
    }
}
