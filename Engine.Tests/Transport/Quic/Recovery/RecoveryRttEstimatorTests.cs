using Engine.Transport.Quic.Recovery;

namespace Engine.Tests.Transport.Quic.Recovery;

public class RecoveryRttEstimatorTests
{
    private static readonly TimeSpan MaxAckDelay = TimeSpan.FromMilliseconds(25);

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void Constructor_NoSample_UsesInitialRtt()
    {
        var rtt = new RecoveryRttEstimator();

        Assert.False(rtt.HasSample);
        Assert.Equal(Ms(333), rtt.SmoothedRtt);
        Assert.Equal(Ms(166.5), rtt.RttVariation);
    }

    [Fact]
    public void Update_FirstSample_SmoothedIsSampleAndVariationHalf()
    {
        var rtt = new RecoveryRttEstimator();

        // The ack delay of the first sample is ignored (RFC 9002 §5.3).
        rtt.Update(Ms(100), Ms(10), handshakeConfirmed: true, MaxAckDelay);

        Assert.True(rtt.HasSample);
        Assert.Equal(Ms(100), rtt.LatestRtt);
        Assert.Equal(Ms(100), rtt.MinRtt);
        Assert.Equal(Ms(100), rtt.SmoothedRtt);
        Assert.Equal(Ms(50), rtt.RttVariation);
    }

    [Fact]
    public void Update_SubsequentSample_AppliesExponentialWeights()
    {
        var rtt = new RecoveryRttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);

        rtt.Update(Ms(200), TimeSpan.Zero, true, MaxAckDelay);

        // rttvar = 3/4 * 50 + 1/4 * |100 - 200|; srtt = 7/8 * 100 + 1/8 * 200.
        Assert.Equal(Ms(62.5), rtt.RttVariation);
        Assert.Equal(Ms(112.5), rtt.SmoothedRtt);
        Assert.Equal(Ms(100), rtt.MinRtt);
        Assert.Equal(Ms(200), rtt.LatestRtt);
    }

    [Fact]
    public void Update_AckDelayWithinMargin_IsSubtracted()
    {
        var rtt = new RecoveryRttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);

        rtt.Update(Ms(150), Ms(20), true, MaxAckDelay);

        // adjusted = 130: rttvar = 37.5 + 30/4, srtt = 87.5 + 130/8.
        Assert.Equal(Ms(45), rtt.RttVariation);
        Assert.Equal(Ms(103.75), rtt.SmoothedRtt);
    }

    [Fact]
    public void Update_HandshakeConfirmed_ClampsAckDelayToMaxAckDelay()
    {
        var confirmed = new RecoveryRttEstimator();
        confirmed.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);
        var unconfirmed = new RecoveryRttEstimator();
        unconfirmed.Update(Ms(100), TimeSpan.Zero, false, MaxAckDelay);

        confirmed.Update(Ms(200), Ms(80), true, MaxAckDelay);
        unconfirmed.Update(Ms(200), Ms(80), false, MaxAckDelay);

        // Confirmed: adjusted = 200 - 25 = 175. Unconfirmed: adjusted = 200 - 80 = 120.
        Assert.Equal(Ms((7 * 100 + 175) / 8.0), confirmed.SmoothedRtt);
        Assert.Equal(Ms((7 * 100 + 120) / 8.0), unconfirmed.SmoothedRtt);
    }

    [Fact]
    public void Update_AckDelayWouldGoBelowMinRtt_NotSubtracted()
    {
        var rtt = new RecoveryRttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);

        rtt.Update(Ms(110), Ms(20), true, MaxAckDelay);

        Assert.Equal(Ms((7 * 100 + 110) / 8.0), rtt.SmoothedRtt);
    }

    [Fact]
    public void Update_SmallerSample_LowersMinRttIgnoringAckDelay()
    {
        var rtt = new RecoveryRttEstimator();
        rtt.Update(Ms(100), TimeSpan.Zero, true, MaxAckDelay);

        rtt.Update(Ms(50), Ms(20), true, MaxAckDelay);
        rtt.Update(Ms(80), TimeSpan.Zero, true, MaxAckDelay);

        Assert.Equal(Ms(50), rtt.MinRtt);
        Assert.Equal(Ms(80), rtt.LatestRtt);
    }
}
