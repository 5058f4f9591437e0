using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

public class WebTransportStreamSignalTests
{
    [Fact]
    public void BidirectionalHeader_Session0_Is4041Then00() =>
        Assert.Equal("404100", Convert.ToHexString(WebTransportStreamSignal.BidirectionalHeader(0)));

    [Fact]
    public void UnidirectionalHeader_Session4_Is4054Then04() =>
        Assert.Equal("405404", Convert.ToHexString(WebTransportStreamSignal.UnidirectionalHeader(4)));

    [Fact]
    public void BidirectionalHeader_LargeSession_UsesLongerVarint() =>
        Assert.Equal("404180010000", Convert.ToHexString(WebTransportStreamSignal.BidirectionalHeader(65536)));

    [Fact]
    public void BidirectionalHeader_NegativeSession_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WebTransportStreamSignal.BidirectionalHeader(-1));

    [Theory]
    [InlineData(0L, true)]
    [InlineData(4L, true)]
    [InlineData(1L, false)]
    [InlineData(2L, false)]
    [InlineData(3L, false)]
    [InlineData(-4L, false)]
    public void IsValidSessionId_StreamId_IsTrueOnlyForClientBidi(long sessionId, bool expected) =>
        Assert.Equal(expected, WebTransportStreamSignal.IsValidSessionId(sessionId));

    [Fact]
    public void Reader_Default_WantsOneByte()
    {
        var reader = default(WebTransportStreamHeaderReader);
        Assert.Equal(1, reader.BytesWanted);
        Assert.False(reader.IsComplete);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(8L)]
    [InlineData(400L)]
    [InlineData(1L << 20)]
    [InlineData(1L << 40)]
    public void Feed_ByteAtATimeAsWanted_ReadsSignalAndSession(long sessionId)
    {
        byte[] header = WebTransportStreamSignal.BidirectionalHeader(sessionId);
        byte[] stream = [.. header, 0xAB, 0xCD];
        var reader = new WebTransportStreamHeaderReader();
        int position = 0;
        while (!reader.IsComplete)
        {
            int wanted = reader.BytesWanted;
            Assert.InRange(wanted, 1, 8);
            Assert.Equal(wanted, reader.Feed(stream.AsSpan(position, wanted)));
            position += wanted;
        }

        Assert.Equal(header.Length, position);
        Assert.Equal(0, reader.BytesWanted);
        Assert.Equal(WebTransportStreamSignal.Bidirectional, reader.Signal);
        Assert.Equal(sessionId, reader.SessionId);
    }

    [Fact]
    public void Feed_WantedSequence_IsFirstByteThenRestOfEachVarint()
    {
        var reader = new WebTransportStreamHeaderReader();
        var wanted = new List<int>();
        byte[] stream = Convert.FromHexString("405480001000");
        int position = 0;
        while (!reader.IsComplete)
        {
            wanted.Add(reader.BytesWanted);
            position += reader.Feed(stream.AsSpan(position, reader.BytesWanted));
        }

        Assert.Equal([1, 1, 1, 3], wanted);
        Assert.Equal(0x54UL, reader.Signal);
        Assert.Equal(0x1000, reader.SessionId);
    }

    [Fact]
    public void Feed_WholeStreamAtOnce_StopsAtTheHeaderEnd()
    {
        byte[] stream = [.. WebTransportStreamSignal.UnidirectionalHeader(12), 1, 2, 3];
        var reader = new WebTransportStreamHeaderReader();
        Assert.Equal(3, reader.Feed(stream));
        Assert.True(reader.IsComplete);
        Assert.Equal(0, reader.Feed(stream.AsSpan(3)));
        Assert.Equal(12, reader.SessionId);
    }

    [Fact]
    public void Feed_Empty_ConsumesNothing()
    {
        var reader = new WebTransportStreamHeaderReader();
        Assert.Equal(0, reader.Feed([]));
        Assert.Equal(1, reader.BytesWanted);
    }

    [Fact]
    public void SessionIdOnly_ReadsOnlyTheSessionId()
    {
        var reader = WebTransportStreamHeaderReader.SessionIdOnly();
        Assert.Equal(1, reader.BytesWanted);
        Assert.Equal(1, reader.Feed([0x44]));
        Assert.Equal(1, reader.BytesWanted);
        Assert.Equal(1, reader.Feed([0x00, 0xFF]));
        Assert.True(reader.IsComplete);
        Assert.Equal(0UL, reader.Signal);
        Assert.Equal(0x400, reader.SessionId);
    }

    [Fact]
    public void Feed_OtherSignal_IsReportedForTheCallerToJudge()
    {
        var reader = new WebTransportStreamHeaderReader();
        reader.Feed([0x01, 0x00]);
        Assert.True(reader.IsComplete);
        Assert.Equal(1UL, reader.Signal);
        Assert.Equal(0, reader.SessionId);
    }

    [Fact]
    public void Feed_MaxVarintSession_FitsLong()
    {
        var reader = WebTransportStreamHeaderReader.SessionIdOnly();
        Assert.Equal(8, reader.Feed(Convert.FromHexString("FFFFFFFFFFFFFFFF")));
        Assert.Equal((1L << 62) - 1, reader.SessionId);
    }
}
