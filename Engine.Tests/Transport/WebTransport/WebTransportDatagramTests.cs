using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

public class WebTransportDatagramTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(4L, "01")]
    [InlineData(252L, "3F")]
    [InlineData(256L, "4040")]
    [InlineData(65532L, "7FFF")]
    [InlineData(65536L, "80004000")]
    public void WritePrefix_SessionId_IsVarintOfQuarter(long sessionId, string hex)
    {
        var buffer = new byte[8];
        int written = WebTransportDatagram.WritePrefix(buffer, sessionId);
        Assert.Equal(hex, Convert.ToHexString(buffer, 0, written));
        Assert.Equal(written, WebTransportDatagram.PrefixLength(sessionId));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(4L)]
    [InlineData(1024L)]
    [InlineData(1L << 40)]
    [InlineData((1L << 62) - 4)]
    public void TryReadPrefix_WrittenPrefixAndPayload_RoundTrips(long sessionId)
    {
        var datagram = new byte[WebTransportDatagram.PrefixLength(sessionId) + 3];
        int written = WebTransportDatagram.WritePrefix(datagram, sessionId);
        datagram[written] = 0xAA;

        Assert.True(WebTransportDatagram.TryReadPrefix(datagram, out long read, out int offset));
        Assert.Equal(sessionId, read);
        Assert.Equal(written, offset);
        Assert.Equal(0xAA, datagram[offset]);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(3L)]
    [InlineData(7L)]
    [InlineData(-4L)]
    public void WritePrefix_NotAClientBidiStream_Throws(long sessionId)
    {
        Assert.Throws<ArgumentException>(() => WebTransportDatagram.WritePrefix(new byte[8], sessionId));
        Assert.ThrowsAny<ArgumentException>(() => WebTransportDatagram.PrefixLength(sessionId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("40")]
    [InlineData("800000")]
    [InlineData("C0000000000000")]
    public void TryReadPrefix_TruncatedVarint_IsFalse(string hex) =>
        Assert.False(WebTransportDatagram.TryReadPrefix(Convert.FromHexString(hex), out _, out _));

    [Fact]
    public void TryReadPrefix_PrefixOnly_HasEmptyPayload()
    {
        Assert.True(WebTransportDatagram.TryReadPrefix([0x01], out long sessionId, out int offset));
        Assert.Equal(4, sessionId);
        Assert.Equal(1, offset);
    }

    [Fact]
    public void TryReadPrefix_QuarterBeyond2Pow60_IsFalse()
    {
        // 2^60 as an 8-byte varint: a quarter stream ID no stream ID can have.
        byte[] datagram = Convert.FromHexString("D000000000000000");
        Assert.False(WebTransportDatagram.TryReadPrefix(datagram, out _, out _));
    }
}
