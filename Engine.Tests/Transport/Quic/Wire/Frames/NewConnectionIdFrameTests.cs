using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class NewConnectionIdFrameTests
{
    private static readonly byte[] s_token = [.. Enumerable.Range(0xA0, 16).Select(i => (byte)i)];

    [Fact]
    public void Write_RandomFields_ReadsBackEqualAndLengthMatches()
    {
        Gen.Select(WireGen.Varint, Gen.Double[0, 1], WireGen.Bytes(1, 20), WireGen.Bytes(16, 16)).Sample((sequence, fraction, id, token) =>
        {
            ulong retirePriorTo = Math.Min((ulong)(sequence * fraction), sequence);
            var frame = new NewConnectionIdFrame(sequence, retirePriorTo, id, token);
            byte[] encoded = WireAssert.Encode(frame);

            var reader = new SpanReader(encoded);
            Assert.Equal(QuicTransportErrorCode.NoError, NewConnectionIdFrame.TryRead(ref reader, out NewConnectionIdFrame read));
            Assert.Equal(sequence, read.SequenceNumber);
            Assert.Equal(retirePriorTo, read.RetirePriorTo);
            Assert.Equal(id, read.ConnectionId.ToArray());
            Assert.Equal(token, read.StatelessResetToken.ToArray());
            Assert.Equal(0, reader.Remaining);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(21)]
    public void TryRead_ConnectionIdLengthZeroOrAbove20_ReturnsFrameEncodingError(int length)
    {
        byte[] encoded = [0x18, 0x01, 0x00, (byte)length, .. new byte[length], .. s_token];
        var reader = new SpanReader(encoded);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, NewConnectionIdFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void TryRead_RetirePriorToAboveSequence_ReturnsFrameEncodingError()
    {
        byte[] encoded = [0x18, 0x01, 0x02, 0x01, 0xCC, .. s_token];
        var reader = new SpanReader(encoded);

        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, NewConnectionIdFrame.TryRead(ref reader, out _));
    }

    [Fact]
    public void TryRead_EveryTruncation_ReturnsFrameEncodingError()
    {
        var frame = new NewConnectionIdFrame(3, 1, [1, 2, 3, 4, 5, 6, 7, 8], s_token);
        byte[] encoded = WireAssert.Encode(frame);

        WireAssert.AllTruncationsRejected(encoded, (ref SpanReader r) => NewConnectionIdFrame.TryRead(ref r, out _));
    }
}
