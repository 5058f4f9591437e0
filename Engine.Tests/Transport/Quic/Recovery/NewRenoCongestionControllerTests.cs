using Engine.Transport.Quic.Recovery;

namespace Engine.Tests.Transport.Quic.Recovery;

public class NewRenoCongestionControllerTests
{
    private const int Mds = 1200;

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Theory]
    [InlineData(1200, 12000)]
    [InlineData(1472, 14720)]
    [InlineData(1500, 14720)]
    [InlineData(9000, 18000)]
    public void Constructor_MaxDatagramSize_InitialWindowPerRfc(int maxDatagramSize, long expected)
    {
        var cc = new NewRenoCongestionController(maxDatagramSize);

        Assert.Equal(expected, cc.CongestionWindow);
        Assert.Equal(2L * maxDatagramSize, cc.MinimumWindow);
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void CanSend_UpToWindow_TrueThenFalse()
    {
        var cc = new NewRenoCongestionController(Mds);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(cc.CanSend(Mds));
            cc.OnPacketSent(Ms(i), Mds);
        }

        Assert.Equal(12000, cc.BytesInFlight);
        Assert.False(cc.CanSend(1));
        Assert.True(cc.CanSend(0));
    }

    [Fact]
    public void OnPacketAcked_SlowStart_GrowsByAckedBytes()
    {
        var cc = new NewRenoCongestionController(Mds);
        cc.OnPacketSent(Ms(0), Mds);
        cc.OnPacketSent(Ms(0), Mds);

        cc.OnPacketAcked(Ms(0), Mds, Ms(50));
        cc.OnPacketAcked(Ms(0), Mds, Ms(50));

        Assert.Equal(12000 + (2 * Mds), cc.CongestionWindow);
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void OnPacketsLost_FirstLoss_HalvesWindowOnce()
    {
        var cc = new NewRenoCongestionController(Mds);
        for (int i = 0; i < 4; i++)
        {
            cc.OnPacketSent(Ms(i), Mds);
        }

        cc.OnPacketsLost(Ms(1), Mds, Ms(100));

        Assert.Equal(6000, cc.CongestionWindow);
        Assert.Equal(6000, cc.SlowStartThreshold);
        Assert.Equal(3 * Mds, cc.BytesInFlight);

        // Another loss of a packet sent before the recovery period began: no second reduction.
        cc.OnPacketsLost(Ms(3), Mds, Ms(110));
        Assert.Equal(6000, cc.CongestionWindow);
        Assert.Equal(2 * Mds, cc.BytesInFlight);
    }

    [Fact]
    public void OnPacketsLost_PacketSentAfterRecoveryStarted_HalvesAgain()
    {
        var cc = new NewRenoCongestionController(Mds);
        cc.OnPacketSent(Ms(0), Mds);
        cc.OnPacketSent(Ms(150), Mds);
        cc.OnPacketsLost(Ms(0), Mds, Ms(100));

        cc.OnPacketsLost(Ms(150), Mds, Ms(300));

        Assert.Equal(3000, cc.CongestionWindow);
    }

    [Fact]
    public void OnPacketAcked_SentBeforeRecoveryStart_DoesNotGrow()
    {
        var cc = new NewRenoCongestionController(Mds);
        cc.OnPacketSent(Ms(0), Mds);
        cc.OnPacketSent(Ms(1), Mds);
        cc.OnPacketsLost(Ms(0), Mds, Ms(100));

        cc.OnPacketAcked(Ms(1), Mds, Ms(120));

        Assert.Equal(6000, cc.CongestionWindow);
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void OnPacketAcked_CongestionAvoidance_GrowsOneDatagramPerWindow()
    {
        var cc = new NewRenoCongestionController(Mds);
        cc.OnPacketSent(Ms(0), Mds);
        cc.OnPacketsLost(Ms(0), Mds, Ms(100));
        Assert.Equal(6000, cc.CongestionWindow);

        // Five full datagrams sent after recovery make one window of 6000 bytes.
        for (int i = 0; i < 4; i++)
        {
            cc.OnPacketSent(Ms(200), Mds);
            cc.OnPacketAcked(Ms(200), Mds, Ms(300));
            Assert.Equal(6000, cc.CongestionWindow);
        }

        cc.OnPacketSent(Ms(200), Mds);
        cc.OnPacketAcked(Ms(200), Mds, Ms(300));
        Assert.Equal(6000 + Mds, cc.CongestionWindow);
    }

    [Fact]
    public void OnPacketsLost_RepeatedEvents_NeverBelowMinimumWindow()
    {
        var cc = new NewRenoCongestionController(Mds);
        for (int i = 1; i <= 10; i++)
        {
            cc.OnPacketSent(Ms(i * 100), Mds);
            cc.OnPacketsLost(Ms(i * 100), Mds, Ms((i * 100) + 50));
        }

        Assert.Equal(2 * Mds, cc.CongestionWindow);
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void OnPersistentCongestion_Always_CollapsesToMinimumWindowAndEndsRecovery()
    {
        var cc = new NewRenoCongestionController(Mds);
        cc.OnPacketSent(Ms(0), Mds);
        cc.OnPacketsLost(Ms(0), Mds, Ms(100));

        cc.OnPersistentCongestion();

        Assert.Equal(2 * Mds, cc.CongestionWindow);
        Assert.False(cc.InRecovery(Ms(50)));

        // Still below ssthresh (6000): slow start resumes.
        cc.OnPacketSent(Ms(200), Mds);
        cc.OnPacketAcked(Ms(200), Mds, Ms(300));
        Assert.Equal(3 * Mds, cc.CongestionWindow);
    }

    [Fact]
    public void OnPacketDiscarded_InFlight_RemovesBytesWithoutReduction()
    {
        var cc = new NewRenoCongestionController(Mds);
        cc.OnPacketSent(Ms(0), Mds);
        cc.OnPacketSent(Ms(0), 500);

        cc.OnPacketDiscarded(Mds);

        Assert.Equal(500, cc.BytesInFlight);
        Assert.Equal(12000, cc.CongestionWindow);
    }
}
