using Engine.Transport.Http3;
using Engine.Transport.WebTransport.Protocol;

namespace Engine.Tests.Transport.WebTransport;

public class WebTransportErrorCodesTests
{
    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(0x1du)]
    [InlineData(0x1eu)]
    [InlineData(0x1fu)]
    [InlineData(1000u)]
    [InlineData(4004u)]
    [InlineData(uint.MaxValue)]
    public void ToHttp3_ThenTryFromHttp3_RoundTrips(uint code)
    {
        ulong http3 = WebTransportErrorCodes.ToHttp3(code);
        Assert.True(WebTransportErrorCodes.TryFromHttp3(http3, out uint back));
        Assert.Equal(code, back);
        Assert.False(Http3Grease.IsGrease(http3));
    }

    [Fact]
    public void ToHttp3_Zero_IsFirstApplicationCode() =>
        Assert.Equal(WebTransportErrorCodes.FirstApplicationCode, WebTransportErrorCodes.ToHttp3(0));

    [Fact]
    public void ToHttp3_MaxValue_IsLastApplicationCode() =>
        Assert.Equal(WebTransportErrorCodes.LastApplicationCode, WebTransportErrorCodes.ToHttp3(uint.MaxValue));

    [Fact]
    public void ToHttp3_0xff_IsDraft02LastCode() =>
        Assert.Equal(WebTransportErrorCodes.Draft02LastApplicationCode, WebTransportErrorCodes.ToHttp3(0xff));

    [Theory]
    [InlineData(0x52e4a40fa8f9UL)]
    [InlineData(0x52e4a40fa918UL)]
    [InlineData(0x52e4a40fa937UL)]
    [InlineData(0x52e4a40fa956UL)]
    [InlineData(0x52e4a40fa975UL)]
    [InlineData(0x52e4a40fa994UL)]
    [InlineData(0x52e4a40fa9b3UL)]
    [InlineData(0x52e4a40fa9d2UL)]
    public void TryFromHttp3_Draft02ListedExceptions_AreRejected(ulong http3Code) =>
        Assert.False(WebTransportErrorCodes.TryFromHttp3(http3Code, out _));

    [Fact]
    public void ToHttp3_Around1e_SkipsTheGreaseCodePoint()
    {
        Assert.Equal(WebTransportErrorCodes.FirstApplicationCode + 0x1d, WebTransportErrorCodes.ToHttp3(0x1d));
        Assert.Equal(WebTransportErrorCodes.FirstApplicationCode + 0x1f, WebTransportErrorCodes.ToHttp3(0x1e));
        Assert.True(Http3Grease.IsGrease(WebTransportErrorCodes.FirstApplicationCode + 0x1e));
    }

    [Fact]
    public void TryFromHttp3_GreaseCodePointsInRange_AreRejected()
    {
        ulong grease = WebTransportErrorCodes.FirstApplicationCode + 0x1e;
        for (int i = 0; i < 1000; i++, grease += 0x1f)
        {
            Assert.True(Http3Grease.IsGrease(grease));
            Assert.False(WebTransportErrorCodes.TryFromHttp3(grease, out _));
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x100UL)]
    [InlineData(WebTransportErrorCodes.FirstApplicationCode - 1)]
    [InlineData(WebTransportErrorCodes.LastApplicationCode + 1)]
    [InlineData(WebTransportErrorCodes.SessionGone)]
    [InlineData(WebTransportErrorCodes.BufferedStreamRejected)]
    [InlineData((1UL << 62) - 1)]
    public void TryFromHttp3_OutsideTheRange_IsFalse(ulong http3Code) =>
        Assert.False(WebTransportErrorCodes.TryFromHttp3(http3Code, out _));

    [Fact]
    public void TryFromHttp3_EveryNonGreaseCodeInAWindow_IsTheInverseOfToHttp3()
    {
        uint expected = 0;
        for (ulong h = WebTransportErrorCodes.FirstApplicationCode; h < WebTransportErrorCodes.FirstApplicationCode + 2000; h++)
        {
            if (Http3Grease.IsGrease(h))
            {
                continue;
            }

            Assert.True(WebTransportErrorCodes.TryFromHttp3(h, out uint code));
            Assert.Equal(expected, code);
            Assert.Equal(h, WebTransportErrorCodes.ToHttp3(code));
            expected++;
        }
    }

    [Fact]
    public void ToHttp3_LargeCodes_StayMonotonicAndNeverGrease()
    {
        for (uint code = uint.MaxValue - 100; code != 0; code++)
        {
            ulong h = WebTransportErrorCodes.ToHttp3(code);
            Assert.False(Http3Grease.IsGrease(h));
            Assert.True(h > WebTransportErrorCodes.ToHttp3(code - 1));
        }
    }
}
