using Engine.Transport.Coding;
using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3ErrorCodeTests
{
    [Fact]
    public void Values_MatchRfc9114Section8_1()
    {
        Assert.Equal(0x100UL, (ulong)Http3ErrorCode.NoError);
        Assert.Equal(0x101UL, (ulong)Http3ErrorCode.GeneralProtocolError);
        Assert.Equal(0x102UL, (ulong)Http3ErrorCode.InternalError);
        Assert.Equal(0x103UL, (ulong)Http3ErrorCode.StreamCreationError);
        Assert.Equal(0x104UL, (ulong)Http3ErrorCode.ClosedCriticalStream);
        Assert.Equal(0x105UL, (ulong)Http3ErrorCode.FrameUnexpected);
        Assert.Equal(0x106UL, (ulong)Http3ErrorCode.FrameError);
        Assert.Equal(0x107UL, (ulong)Http3ErrorCode.ExcessiveLoad);
        Assert.Equal(0x108UL, (ulong)Http3ErrorCode.IdError);
        Assert.Equal(0x109UL, (ulong)Http3ErrorCode.SettingsError);
        Assert.Equal(0x10aUL, (ulong)Http3ErrorCode.MissingSettings);
        Assert.Equal(0x10bUL, (ulong)Http3ErrorCode.RequestRejected);
        Assert.Equal(0x10cUL, (ulong)Http3ErrorCode.RequestCancelled);
        Assert.Equal(0x10dUL, (ulong)Http3ErrorCode.RequestIncomplete);
        Assert.Equal(0x10eUL, (ulong)Http3ErrorCode.MessageError);
        Assert.Equal(0x10fUL, (ulong)Http3ErrorCode.ConnectError);
        Assert.Equal(0x110UL, (ulong)Http3ErrorCode.VersionFallback);
        Assert.Equal(17, Enum.GetValues<Http3ErrorCode>().Length);
    }

    [Theory]
    [InlineData(0UL, 0x21UL)]
    [InlineData(1UL, 0x40UL)]
    [InlineData(2UL, 0x5fUL)]
    public void GreaseValue_SmallN_IsOffsetPlusStep(ulong n, ulong expected) => Assert.Equal(expected, Http3Grease.Value(n));

    [Fact]
    public void IsGrease_ValuesAroundGreasePoints_OnlyGreasePointsMatch()
    {
        Assert.False(Http3Grease.IsGrease(0));
        Assert.False(Http3Grease.IsGrease(0x20));
        Assert.True(Http3Grease.IsGrease(0x21));
        Assert.False(Http3Grease.IsGrease(0x22));
        Assert.True(Http3Grease.IsGrease(0x40));
        Assert.True(Http3Grease.IsGrease(Http3Grease.Value(Http3Grease.MaxN)));
        Assert.False(Http3Grease.IsGrease(Http3Grease.Value(Http3Grease.MaxN) - 1));
    }

    [Fact]
    public void Value_NAboveMax_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Http3Grease.Value(Http3Grease.MaxN + 1));

    [Fact]
    public void NextEightByte_ManyDraws_AreGreaseAndNeedEightBytes()
    {
        var random = new Random(1);
        for (int i = 0; i < 1000; i++)
        {
            ulong value = Http3Grease.NextEightByte(random);
            Assert.True(Http3Grease.IsGrease(value));
            Assert.Equal(8, Engine.Transport.Coding.VarInt.GetLength(value));
        }

        Assert.Equal(4, Engine.Transport.Coding.VarInt.GetLength(Http3Grease.Value(Http3Grease.MinEightByteN - 1)));
    }

    [Fact]
    public void FrameTypes_Classification_MatchesRfc()
    {
        Assert.Equal([0x2UL, 0x6, 0x8, 0x9], Enumerable.Range(0, 0x100).Select(i => (ulong)i).Where(Http3FrameTypes.IsReservedHttp2));
        Assert.Equal([0x0UL, 0x1, 0x3, 0x4, 0x5, 0x7, 0xd], Enumerable.Range(0, 0x100).Select(i => (ulong)i).Where(Http3FrameTypes.IsKnown));
        Assert.False(Http3FrameTypes.IsBuffered((ulong)Http3FrameType.Data));
        Assert.True(Http3FrameTypes.IsBuffered((ulong)Http3FrameType.Settings));
        Assert.False(Http3FrameTypes.IsBuffered(0x21));
    }
}
