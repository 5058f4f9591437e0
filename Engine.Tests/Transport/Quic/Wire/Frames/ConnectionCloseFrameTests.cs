using System.Text;
using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class ConnectionCloseFrameTests
{
    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(Gen.Bool, WireGen.Varint, WireGen.Varint, WireGen.Bytes(0, 100)).Sample((application, code, frameType, reason) =>
        {
            var frame = new ConnectionCloseFrame(application, code, application ? 0 : frameType, reason);
            byte[] encoded = WireAssert.Encode(frame);

            Assert.Equal(application ? 0x1d : 0x1c, encoded[0]);
            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, ConnectionCloseFrame.TryRead(ref reader, out ConnectionCloseFrame read));
            Assert.Equal(application, read.IsApplicationError);
            Assert.Equal(code, read.ErrorCode);
            Assert.Equal(frame.FrameType, read.FrameType);
            Assert.Equal(reason, read.ReasonPhrase.ToArray());
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Fact]
    public void ForTransportError_ProtocolViolation_EncodesCodeFrameTypeAndReason()
    {
        var frame = ConnectionCloseFrame.ForTransportError(QuicTransportErrorCode.ProtocolViolation, 0x1e, "bad"u8);

        byte[] encoded = WireAssert.Encode(frame);

        Assert.Equal(Convert.FromHexString("1C0A1E03") .Concat(Encoding.UTF8.GetBytes("bad")), encoded);
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var transport = ConnectionCloseFrame.ForTransportError(QuicTransportErrorCode.FlowControlError, 0x08, "too much"u8);
        var application = ConnectionCloseFrame.ForApplicationError(0x10f, "bye"u8);

        WireAssert.AllTruncationsRejected(WireAssert.Encode(transport), (ref SpanReader r) => ConnectionCloseFrame.TryRead(ref r, out _));
        WireAssert.AllTruncationsRejected(WireAssert.Encode(application), (ref SpanReader r) => ConnectionCloseFrame.TryRead(ref r, out _));
    }
}
