using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Recovery;

/// <summary>Records every acked/lost frame callback in order.</summary>
internal sealed class RecordingFrameOwner : ISentFrameOwner
{
    public List<(QuicPacketSpace Space, SentFrame Frame)> Acked { get; } = [];

    public List<(QuicPacketSpace Space, SentFrame Frame)> Lost { get; } = [];

    /// <summary>Offsets (the packet numbers, by the helpers' convention) of acked stream frames.</summary>
    public List<ulong> AckedOffsets => Acked.Where(a => a.Frame.Kind == SentFrameKind.Stream).Select(a => a.Frame.Offset).ToList();

    public List<ulong> LostOffsets => Lost.Where(a => a.Frame.Kind == SentFrameKind.Stream).Select(a => a.Frame.Offset).ToList();

    public void OnFrameAcked(QuicPacketSpace space, in SentFrame frame) => Acked.Add((space, frame));

    public void OnFrameLost(QuicPacketSpace space, in SentFrame frame) => Lost.Add((space, frame));

    public void Clear()
    {
        Acked.Clear();
        Lost.Clear();
    }
}

internal static class RecoveryTest
{
    public const int Size = 1200;

    public static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    /// <summary>Sends an ack-eliciting, in-flight packet carrying one Stream frame whose offset is its packet number.</summary>
    public static long Send(LossRecovery recovery, QuicPacketSpace space, TimeSpan now, int size = Size)
    {
        SentPacket packet = recovery.RentPacket();
        packet.PacketNumber = recovery.NextPacketNumber(space);
        packet.TimeSent = now;
        packet.Size = size;
        packet.AckEliciting = true;
        packet.InFlight = true;
        packet.Frames.Add(new SentFrame(SentFrameKind.Stream, 0, (ulong)packet.PacketNumber, 10, false));
        recovery.OnPacketSent(space, packet);
        return packet.PacketNumber;
    }

    /// <summary>Sends an ACK-only packet (not in flight, not ack-eliciting) carrying an Ack frame for <paramref name="largest"/>.</summary>
    public static long SendAckOnly(LossRecovery recovery, QuicPacketSpace space, TimeSpan now, ulong largest)
    {
        SentPacket packet = recovery.RentPacket();
        packet.PacketNumber = recovery.NextPacketNumber(space);
        packet.TimeSent = now;
        packet.Size = 50;
        packet.Frames.Add(SentFrame.WithValue(SentFrameKind.Ack, largest));
        recovery.OnPacketSent(space, packet);
        return packet.PacketNumber;
    }

    /// <summary>Feeds an ACK frame of <paramref name="rangesDescending"/> (inclusive, largest first).</summary>
    public static QuicTransportErrorCode Ack(
        LossRecovery recovery, QuicPacketSpace space, TimeSpan now, ISentFrameOwner owner,
        params (ulong Smallest, ulong Largest)[] rangesDescending) =>
        AckWithDelay(recovery, space, now, owner, 0, 3, rangesDescending);

    public static QuicTransportErrorCode AckWithDelay(
        LossRecovery recovery, QuicPacketSpace space, TimeSpan now, ISentFrameOwner owner, ulong ackDelay, int exponent,
        params (ulong Smallest, ulong Largest)[] rangesDescending)
    {
        AckRange[] ranges = rangesDescending.Select(r => new AckRange(r.Smallest, r.Largest)).ToArray();
        var buffer = new byte[AckFrame.GetLength(ranges, ackDelay, null)];
        var writer = new SpanWriter(buffer);
        AckFrame.Write(ref writer, ranges, ackDelay, null);
        var reader = new SpanReader(buffer);
        Assert.Equal(QuicTransportErrorCode.NoError, AckFrame.TryRead(ref reader, out AckFrame frame));
        return recovery.OnAckReceived(space, frame, exponent, now, owner);
    }
}

/// <summary>NewReno, counting the congestion signals it is given.</summary>
internal sealed class CountingCongestionController : ICongestionController
{
    private readonly NewRenoCongestionController _inner = new(RecoveryTest.Size);

    public int LossEvents { get; private set; }

    public int PersistentCongestionEvents { get; private set; }

    public long CongestionWindow => _inner.CongestionWindow;

    public long BytesInFlight => _inner.BytesInFlight;

    public bool CanSend(int bytes) => _inner.CanSend(bytes);

    public void OnPacketSent(TimeSpan now, int bytes) => _inner.OnPacketSent(now, bytes);

    public void OnPacketAcked(TimeSpan timeSent, int bytes, TimeSpan now) => _inner.OnPacketAcked(timeSent, bytes, now);

    public void OnPacketsLost(TimeSpan largestLostTimeSent, long bytesLost, TimeSpan now)
    {
        LossEvents++;
        _inner.OnPacketsLost(largestLostTimeSent, bytesLost, now);
    }

    public void OnPacketDiscarded(int bytes) => _inner.OnPacketDiscarded(bytes);

    public void OnPersistentCongestion()
    {
        PersistentCongestionEvents++;
        _inner.OnPersistentCongestion();
    }
}
