using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using static Engine.Tests.Transport.Quic.Recovery.RecoveryTest;

namespace Engine.Tests.Transport.Quic.Recovery;

public class LossRecoveryAckTests
{
    private const QuicPacketSpace App = QuicPacketSpace.ApplicationData;

    private static LossRecovery NewRecovery(bool isServer = true) =>
        new(new NewRenoCongestionController(Size), isServer) { HandshakeConfirmed = true };

    [Fact]
    public void NextPacketNumber_PerSpace_StartsAtZeroAndIncrements()
    {
        LossRecovery recovery = NewRecovery();

        Assert.Equal(0, recovery.NextPacketNumber(QuicPacketSpace.Initial));
        Assert.Equal(1, recovery.NextPacketNumber(QuicPacketSpace.Initial));
        Assert.Equal(0, recovery.NextPacketNumber(App));
        Assert.Equal(-1, recovery.LargestSent(App));
        Assert.Equal(-1, recovery.LargestAcked(App));
    }

    [Fact]
    public void OnAckReceived_NewlyAcked_ReportsEachFrameExactlyOnce()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        for (int i = 0; i < 3; i++)
        {
            Send(recovery, App, Ms(i));
        }

        Assert.Equal(QuicTransportErrorCode.NoError, Ack(recovery, App, Ms(50), owner, (0, 2)));
        Assert.Equal([0UL, 1UL, 2UL], owner.AckedOffsets.Order());
        Assert.All(owner.Acked, a => Assert.Equal(App, a.Space));

        owner.Clear();
        Assert.Equal(QuicTransportErrorCode.NoError, Ack(recovery, App, Ms(60), owner, (0, 2)));
        Assert.Empty(owner.Acked);
        Assert.Empty(owner.Lost);
        Assert.Equal(2, recovery.LargestAcked(App));
        Assert.Equal(0, recovery.CongestionController.BytesInFlight);
    }

    [Fact]
    public void OnAckReceived_UnsentPacketNumber_ReturnsProtocolViolation()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();

        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Ack(recovery, App, Ms(1), owner, (0, 0)));

        Send(recovery, App, Ms(0));
        Send(recovery, App, Ms(0));
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Ack(recovery, App, Ms(10), owner, (2, 2)));
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Ack(recovery, App, Ms(10), owner, (5, 5), (0, 1)));
        Assert.Empty(owner.Acked);
        Assert.Equal(-1, recovery.LargestAcked(App));

        // A packet number allocated in another space does not count.
        Send(recovery, QuicPacketSpace.Initial, Ms(0));
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Ack(recovery, QuicPacketSpace.Handshake, Ms(10), owner, (0, 0)));
    }

    [Fact]
    public void OnAckReceived_OutOfOrderAcks_ReportsOnlyNewlyAcked()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        for (int i = 0; i < 3; i++)
        {
            Send(recovery, App, Ms(i));
        }

        Ack(recovery, App, Ms(20), owner, (2, 2));
        Assert.Equal([2UL], owner.AckedOffsets);

        // An older ACK arriving later: its largest is below the largest already acknowledged.
        owner.Clear();
        Ack(recovery, App, Ms(21), owner, (0, 1));
        Assert.Equal([0UL, 1UL], owner.AckedOffsets.Order());
        Assert.Equal(2, recovery.LargestAcked(App));
        Assert.Empty(owner.Lost);
    }

    [Fact]
    public void OnAckReceived_MultipleRanges_AcksOnlyListedPackets()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        for (int i = 0; i < 10; i++)
        {
            Send(recovery, App, Ms(0));
        }

        Ack(recovery, App, Ms(10), owner, (8, 9), (5, 6), (3, 3));

        Assert.Equal([3UL, 5UL, 6UL, 8UL, 9UL], owner.AckedOffsets.Order());

        // 0..2 and 4 are 3 or more below 9; 7 is not.
        Assert.Equal([0UL, 1UL, 2UL, 4UL], owner.LostOffsets.Order());
        Assert.NotNull(recovery.LossDetectionTimer);
    }

    [Fact]
    public void OnAckReceived_ThreePacketsAhead_DeclaresOnlyThatPacketLost()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        for (int i = 0; i < 4; i++)
        {
            Send(recovery, App, Ms(i));
        }

        Ack(recovery, App, Ms(30), owner, (3, 3));

        Assert.Equal([0UL], owner.LostOffsets);
        Assert.Equal([3UL], owner.AckedOffsets);
        Assert.Equal(2L * Size, recovery.CongestionController.BytesInFlight);

        // 1 and 2 wait for the time threshold: the loss timer is armed, not the PTO.
        TimeSpan lossDelay = Ms(27) * 9 / 8;
        Assert.Equal(Ms(1) + lossDelay, recovery.LossDetectionTimer);
    }

    [Fact]
    public void OnAckReceived_FirstAckEliciting_TakesRttSampleFromLargest()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        Send(recovery, App, Ms(0));
        Send(recovery, App, Ms(10));

        Ack(recovery, App, Ms(110), owner, (0, 1));

        Assert.True(recovery.Rtt.HasSample);
        Assert.Equal(Ms(100), recovery.Rtt.LatestRtt);
    }

    [Fact]
    public void OnAckReceived_LargestNotNewlyAcked_TakesNoRttSample()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        Send(recovery, App, Ms(0));
        Send(recovery, App, Ms(0));
        Ack(recovery, App, Ms(100), owner, (1, 1));

        Ack(recovery, App, Ms(500), owner, (0, 1));

        Assert.Equal(Ms(100), recovery.Rtt.LatestRtt);
    }

    [Fact]
    public void OnAckReceived_AppSpace_ScalesAckDelayByExponent()
    {
        LossRecovery recovery = NewRecovery();
        recovery.PeerMaxAckDelay = Ms(50);
        var owner = new RecordingFrameOwner();
        Send(recovery, App, Ms(0));
        Ack(recovery, App, Ms(100), owner, (0, 0));
        Send(recovery, App, Ms(200));

        // 2500 << 4 µs = 40 ms of ack delay: sample 300 - 40 = 260.
        AckWithDelay(recovery, App, Ms(500), owner, 2500, 4, (1, 1));

        Assert.Equal(Ms(((7 * 100) + 260) / 8.0), recovery.Rtt.SmoothedRtt);
    }

    [Fact]
    public void OnAckReceived_HandshakeSpace_IgnoresAckDelay()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        Send(recovery, QuicPacketSpace.Handshake, Ms(0));
        Ack(recovery, QuicPacketSpace.Handshake, Ms(100), owner, (0, 0));
        Send(recovery, QuicPacketSpace.Handshake, Ms(200));

        AckWithDelay(recovery, QuicPacketSpace.Handshake, Ms(500), owner, 2500, 4, (1, 1));

        Assert.Equal(Ms(((7 * 100) + 300) / 8.0), recovery.Rtt.SmoothedRtt);
    }

    [Fact]
    public void DecodeAckDelay_ExponentAndOverflow_ScalesAndSaturates()
    {
        Assert.Equal(TimeSpan.FromMicroseconds(8000), LossRecovery.DecodeAckDelay(1000, 3));
        Assert.Equal(TimeSpan.FromMicroseconds(1000), LossRecovery.DecodeAckDelay(1000, 0));
        Assert.True(LossRecovery.DecodeAckDelay(VarInt.MaxValue, 20) > TimeSpan.FromDays(1000));
    }

    [Fact]
    public void OnAckReceived_AckOnlyPacketAcked_ReportsAckFrame()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        SendAckOnly(recovery, App, Ms(0), largest: 7);
        Send(recovery, App, Ms(1));

        Ack(recovery, App, Ms(50), owner, (0, 1));

        Assert.Contains(owner.Acked, a => a.Frame == SentFrame.WithValue(SentFrameKind.Ack, 7));
        Assert.Equal(0, recovery.CongestionController.BytesInFlight);
    }

    [Fact]
    public void OnPacketSent_ConsecutiveAckOnlyPackets_NewerSupersedesOlder()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        SendAckOnly(recovery, App, Ms(0), largest: 3);
        SendAckOnly(recovery, App, Ms(1), largest: 5);
        Send(recovery, App, Ms(2));

        Ack(recovery, App, Ms(50), owner, (0, 2));

        var ackFrames = owner.Acked.Where(a => a.Frame.Kind == SentFrameKind.Ack).Select(a => a.Frame.Offset).ToList();
        Assert.Equal([5UL], ackFrames);
    }

    [Fact]
    public void OnPacketSent_NotInFlightWithoutFrames_ReturnsPacketToPool()
    {
        LossRecovery recovery = NewRecovery();
        SentPacket packet = recovery.RentPacket();
        packet.PacketNumber = recovery.NextPacketNumber(App);
        packet.Frames.Add(SentFrame.Simple(SentFrameKind.Padding));

        recovery.OnPacketSent(App, packet);

        Assert.Same(packet, recovery.RentPacket());
        Assert.Empty(packet.Frames);
        Assert.Equal(0, recovery.LargestSent(App));
    }

    [Fact]
    public void OnPacketSent_PacketNumberNotAllocated_Throws()
    {
        LossRecovery recovery = NewRecovery();
        SentPacket packet = recovery.RentPacket();
        packet.PacketNumber = 5;

        Assert.Throws<ArgumentException>(() => recovery.OnPacketSent(App, packet));
    }

    [Fact]
    public void RentPacket_ManySendAckCycles_AllocationStaysBounded()
    {
        LossRecovery recovery = NewRecovery();
        var owner = new RecordingFrameOwner();
        TimeSpan now = TimeSpan.Zero;
        for (int cycle = 0; cycle < 2000; cycle++)
        {
            long first = -1;
            long last = -1;
            for (int i = 0; i < 8; i++)
            {
                last = Send(recovery, App, now);
                first = first < 0 ? last : first;
            }

            SendAckOnly(recovery, App, now, (ulong)cycle);
            now += Ms(10);
            Assert.Equal(QuicTransportErrorCode.NoError, Ack(recovery, App, now, owner, ((ulong)first, (ulong)last)));
            owner.Clear();
        }

        // 8 in flight plus the ACK-only packet waiting for a later acknowledgment.
        Assert.InRange(recovery.PacketsAllocated, 1, 10);
        Assert.Equal(0, recovery.CongestionController.BytesInFlight);
    }
}
