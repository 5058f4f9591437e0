using Engine.Transport.Quic;
using Engine.Transport.Quic.Recovery;
using static Engine.Tests.Transport.Quic.Recovery.RecoveryTest;

namespace Engine.Tests.Transport.Quic.Recovery;

public class LossRecoveryTimerTests
{
    private const QuicPacketSpace Initial = QuicPacketSpace.Initial;
    private const QuicPacketSpace Handshake = QuicPacketSpace.Handshake;
    private const QuicPacketSpace App = QuicPacketSpace.ApplicationData;

    // No RTT sample: 333 + 4 * 166.5.
    private static readonly TimeSpan InitialPto = Ms(999);

    private static LossRecovery NewRecovery(bool isServer = true, bool confirmed = true) =>
        new(new NewRenoCongestionController(Size), isServer) { HandshakeConfirmed = confirmed };

    private static List<QuicPacketSpace> TakeProbes(LossRecovery recovery)
    {
        var probes = new List<QuicPacketSpace>();
        while (recovery.TryTakeProbe(out QuicPacketSpace space))
        {
            probes.Add(space);
        }

        return probes;
    }

    [Fact]
    public void LossDetectionTimer_NothingSent_Null()
    {
        Assert.Null(NewRecovery().LossDetectionTimer);
    }

    [Fact]
    public void OnLossDetectionTimeout_Pto_BacksOffExponentially()
    {
        LossRecovery recovery = NewRecovery(confirmed: false);
        var owner = new RecordingFrameOwner();
        Send(recovery, Initial, Ms(0));
        Assert.Equal(InitialPto, recovery.LossDetectionTimer);

        // Early: nothing happens.
        recovery.OnLossDetectionTimeout(InitialPto - Ms(1), owner);
        Assert.Equal(0, recovery.PtoCount);
        Assert.Empty(TakeProbes(recovery));

        recovery.OnLossDetectionTimeout(InitialPto, owner);
        Assert.Equal(1, recovery.PtoCount);
        Assert.Equal(2 * InitialPto, recovery.LossDetectionTimer);

        recovery.OnLossDetectionTimeout(2 * InitialPto, owner);
        Assert.Equal(2, recovery.PtoCount);
        Assert.Equal(4 * InitialPto, recovery.LossDetectionTimer);

        // A PTO declares nothing lost.
        Assert.Empty(owner.Lost);
        Assert.Equal(Size, recovery.CongestionController.BytesInFlight);
    }

    [Fact]
    public void OnLossDetectionTimeout_Pto_RequestsTwoProbesInEarliestSpace()
    {
        LossRecovery recovery = NewRecovery(confirmed: false);
        var owner = new RecordingFrameOwner();
        Send(recovery, Handshake, Ms(0));
        Send(recovery, Initial, Ms(5));

        recovery.OnLossDetectionTimeout(InitialPto, owner);

        Assert.Equal([Handshake, Handshake], TakeProbes(recovery));
        Assert.False(recovery.TryTakeProbe(out _));
    }

    [Fact]
    public void LossDetectionTimer_AppDataWithRttSample_IncludesMaxAckDelay()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        Send(recovery, App, Ms(0));
        Ack(recovery, App, Ms(100), owner, (0, 0));

        Send(recovery, App, Ms(200));

        // srtt 100, rttvar 50: 100 + 200 + max_ack_delay 25.
        Assert.Equal(Ms(325), recovery.ProbeTimeout());
        Assert.Equal(Ms(525), recovery.LossDetectionTimer);

        recovery.OnLossDetectionTimeout(Ms(525), owner);
        Assert.Equal([App, App], TakeProbes(recovery));

        // Both the PTO and max_ack_delay double.
        Assert.Equal(Ms(200 + 650), recovery.LossDetectionTimer);
    }

    [Fact]
    public void LossDetectionTimer_AppDataBeforeHandshakeConfirmed_NotArmed()
    {
        LossRecovery recovery = NewRecovery(confirmed: false);
        Send(recovery, App, Ms(0));

        Assert.Null(recovery.LossDetectionTimer);

        recovery.HandshakeConfirmed = true;
        Assert.Equal(InitialPto + Ms(25), recovery.LossDetectionTimer);
    }

    [Fact]
    public void LossDetectionTimer_HandshakeBeforeConfirmation_ExcludesMaxAckDelay()
    {
        LossRecovery recovery = NewRecovery(confirmed: false);
        Send(recovery, App, Ms(0));
        Send(recovery, Handshake, Ms(10));

        Assert.Equal(Ms(10) + InitialPto, recovery.LossDetectionTimer);
    }

    [Fact]
    public void OnAckReceived_AfterPto_ResetsPtoCount()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        Send(recovery, App, Ms(0));
        recovery.OnLossDetectionTimeout(InitialPto + Ms(25), owner);
        Assert.Equal(1, recovery.PtoCount);
        Send(recovery, App, Ms(1100));

        Ack(recovery, App, Ms(1200), owner, (1, 1));

        Assert.Equal(0, recovery.PtoCount);
    }

    [Fact]
    public void OnLossDetectionTimeout_TimeThreshold_DeclaresPacketLost()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        Send(recovery, App, Ms(0));
        Send(recovery, App, Ms(10));
        Ack(recovery, App, Ms(110), owner, (1, 1));
        Assert.Empty(owner.Lost);

        // latest = srtt = 100 ms: loss delay 112.5 ms after packet 0 was sent.
        Assert.Equal(Ms(112.5), recovery.LossDetectionTimer);
        recovery.OnLossDetectionTimeout(Ms(112), owner);
        Assert.Empty(owner.Lost);

        recovery.OnLossDetectionTimeout(Ms(112.5), owner);

        Assert.Equal([0UL], owner.LostOffsets);
        Assert.Equal(0, recovery.PtoCount);
        Assert.Equal(0, recovery.CongestionController.BytesInFlight);
        // Slow start took packet 1 to 13200 before the loss halved it.
        Assert.Equal(6600, recovery.CongestionController.CongestionWindow);
        Assert.Null(recovery.LossDetectionTimer);
    }

    [Fact]
    public void LossDetectionTimer_ClientNothingInFlightBeforeAddressValidation_ArmsAntiDeadlockPto()
    {
        LossRecovery recovery = NewRecovery(isServer: false, confirmed: false);
        var owner = new RecordingFrameOwner();
        Send(recovery, Initial, Ms(0));
        Ack(recovery, Initial, Ms(100), owner, (0, 0));

        // Nothing in flight, yet armed from the ACK's arrival: 100 + (100 + 4 * 50).
        Assert.Equal(Ms(400), recovery.LossDetectionTimer);
        recovery.OnLossDetectionTimeout(Ms(400), owner);
        Assert.Equal([Initial], TakeProbes(recovery));
        Assert.Equal(1, recovery.PtoCount);

        recovery.HasHandshakeKeys = true;
        Assert.Equal(Ms(400 + 600), recovery.LossDetectionTimer);
        recovery.OnLossDetectionTimeout(Ms(1000), owner);
        Assert.Equal([Handshake], TakeProbes(recovery));

        recovery.PeerCompletedAddressValidation = true;
        Assert.Null(recovery.LossDetectionTimer);
    }

    [Fact]
    public void LossDetectionTimer_ServerNothingInFlight_NotArmed()
    {
        LossRecovery recovery = NewRecovery(isServer: true, confirmed: false);
        var owner = new RecordingFrameOwner();
        Send(recovery, Initial, Ms(0));
        Ack(recovery, Initial, Ms(100), owner, (0, 0));

        recovery.PeerCompletedAddressValidation = false;

        Assert.True(recovery.PeerCompletedAddressValidation);
        Assert.Null(recovery.LossDetectionTimer);
    }

    [Fact]
    public void LossDetectionTimer_AtAntiAmplificationLimit_PtoNotArmed()
    {
        LossRecovery recovery = NewRecovery(confirmed: false);
        Send(recovery, Initial, Ms(0));

        recovery.AtAntiAmplificationLimit = true;

        Assert.Null(recovery.LossDetectionTimer);
    }

    [Fact]
    public void DiscardSpace_InFlightPackets_RemovedWithoutCallbacks()
    {
        LossRecovery recovery = NewRecovery(confirmed: false);
        var owner = new RecordingFrameOwner();
        Send(recovery, Initial, Ms(0));
        Send(recovery, Initial, Ms(1));
        Send(recovery, Handshake, Ms(20));
        recovery.OnLossDetectionTimeout(InitialPto, owner);
        TakeProbes(recovery);
        Assert.Equal(3L * Size, recovery.CongestionController.BytesInFlight);

        recovery.DiscardSpace(Initial);

        Assert.Equal(Size, recovery.CongestionController.BytesInFlight);
        Assert.Equal(0, recovery.PtoCount);
        Assert.Equal(Ms(20) + InitialPto, recovery.LossDetectionTimer);
        Assert.Equal(12000, recovery.CongestionController.CongestionWindow);
        Assert.Empty(owner.Acked);
        Assert.Empty(owner.Lost);

        recovery.DiscardSpace(Handshake);
        Assert.Equal(0, recovery.CongestionController.BytesInFlight);
        Assert.Null(recovery.LossDetectionTimer);
    }

    // Packet 0 gives an RTT sample at 100 ms (srtt 100, rttvar 50); 1 at 200, 2 at 210,
    // 3 at 1300, 4..8 at 1400; ACK of 8 at 1500 declares 1..5 lost.
    private static CountingCongestionController SendForPersistentCongestion(bool sampleFirst, bool ackPacket2, RecordingFrameOwner owner)
    {
        var cc = new CountingCongestionController();
        var recovery = new LossRecovery(cc, isServer: true) { HandshakeConfirmed = true };
        Send(recovery, App, Ms(0));
        if (sampleFirst)
        {
            Ack(recovery, App, Ms(100), owner, (0, 0));
        }

        Send(recovery, App, Ms(200));
        Send(recovery, App, Ms(210));
        if (ackPacket2)
        {
            Ack(recovery, App, Ms(260), owner, (2, 2));
        }

        Send(recovery, App, Ms(1300));
        for (int i = 0; i < 5; i++)
        {
            Send(recovery, App, Ms(1400));
        }

        Ack(recovery, App, Ms(1500), owner, (8, 8));
        return cc;
    }

    [Fact]
    public void OnAckReceived_LossesSpanningPersistentCongestionPeriod_CollapsesWindow()
    {
        var owner = new RecordingFrameOwner();

        CountingCongestionController cc = SendForPersistentCongestion(sampleFirst: true, ackPacket2: false, owner);

        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], owner.LostOffsets.Order());
        Assert.Equal(1, cc.PersistentCongestionEvents);

        // Minimum window, then (RFC 9002 B.8 order: losses before acks, recovery period reset)
        // the ACK of packet 8 grows it in slow start.
        Assert.Equal(3L * Size, cc.CongestionWindow);
    }

    [Fact]
    public void OnAckReceived_AckBetweenLostPackets_NoPersistentCongestion()
    {
        var owner = new RecordingFrameOwner();

        CountingCongestionController cc = SendForPersistentCongestion(sampleFirst: true, ackPacket2: true, owner);

        Assert.Equal([1UL, 3UL, 4UL, 5UL], owner.LostOffsets.Order());
        Assert.Equal(1, cc.LossEvents);
        Assert.Equal(0, cc.PersistentCongestionEvents);
    }

    [Fact]
    public void OnAckReceived_LossesBeforeFirstRttSample_NoPersistentCongestion()
    {
        var owner = new RecordingFrameOwner();

        CountingCongestionController cc = SendForPersistentCongestion(sampleFirst: false, ackPacket2: false, owner);

        Assert.Equal([0UL, 1UL, 2UL, 3UL, 4UL, 5UL], owner.LostOffsets.Order());
        Assert.Equal(1, cc.LossEvents);
        Assert.Equal(0, cc.PersistentCongestionEvents);
    }
}
