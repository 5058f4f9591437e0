using CsCheck;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using static Engine.Tests.Transport.Quic.Recovery.RecoveryTest;

namespace Engine.Tests.Transport.Quic.Recovery;

public class LossRecoveryPropertyTests
{
    [Fact]
    public void OnAckReceived_RandomAcksAndTimeouts_EveryPacketSettledAtMostOnceAndBytesBalance()
    {
        // Each step: send 0-3 packets, then ACK one random range of what was sent, then maybe fire the timer.
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1000], Gen.Int[0, 5], Gen.Bool).Array[1, 60].Sample(steps =>
        {
            var recovery = new LossRecovery(new NewRenoCongestionController(RecoveryTest.Size), isServer: true) { HandshakeConfirmed = true };
            var owner = new RecordingFrameOwner();
            TimeSpan now = TimeSpan.Zero;
            long sent = 0;
            foreach ((int sends, int position, int length, bool fireTimer) in steps)
            {
                for (int i = 0; i < sends; i++)
                {
                    Send(recovery, QuicPacketSpace.ApplicationData, now);
                    sent++;
                }

                now += Ms(7);
                if (sent > 0)
                {
                    ulong largest = (ulong)(position % sent);
                    ulong smallest = largest - Math.Min(largest, (ulong)length);
                    Assert.Equal(QuicTransportErrorCode.NoError, Ack(recovery, QuicPacketSpace.ApplicationData, now, owner, (smallest, largest)));
                }

                if (fireTimer && recovery.LossDetectionTimer is { } timer)
                {
                    now = timer > now ? timer : now;
                    recovery.OnLossDetectionTimeout(now, owner);
                    while (recovery.TryTakeProbe(out _))
                    {
                    }
                }
            }

            List<ulong> settled = [.. owner.AckedOffsets, .. owner.LostOffsets];
            Assert.Equal(settled.Count, settled.Distinct().Count());
            Assert.Equal((sent - settled.Count) * RecoveryTest.Size, recovery.CongestionController.BytesInFlight);
            Assert.Equal(sent == settled.Count, recovery.LossDetectionTimer is null);
        });
    }
}
