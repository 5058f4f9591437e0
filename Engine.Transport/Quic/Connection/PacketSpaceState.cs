using Engine.Transport.Coding;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// Everything a connection keeps per packet-number space (RFC 9000 §12.3): keys, received
/// packets and the ACKs they call for, the crypto streams in each direction, pending probes.
/// </summary>
internal sealed class PacketSpaceState : IDisposable
{
    /// <param name="space">Which space this is.</param>
    /// <param name="maxAckRanges">Most ranges an ACK frame of this space reports.</param>
    /// <param name="maxAckDelay">How long an ACK may wait (RFC 9000 §13.2.1); Initial and Handshake packets are acknowledged at once.</param>
    public PacketSpaceState(QuicPacketSpace space, int maxAckRanges, TimeSpan maxAckDelay)
    {
        Space = space;
        Received = new ReceivedPacketTracker(maxAckRanges) { SpaceUsesImmediateAck = space != QuicPacketSpace.ApplicationData };
        MaxAckDelay = space == QuicPacketSpace.ApplicationData ? maxAckDelay : TimeSpan.Zero;
    }

    public QuicPacketSpace Space { get; }

    public PacketProtection? ReadKeys { get; set; }

    public PacketProtection? WriteKeys { get; set; }

    public ReceivedPacketTracker Received { get; }

    public CryptoStreamBuffer CryptoReceive { get; } = new();

    public CryptoSendStream CryptoSend { get; } = new();

    /// <summary>How long an ACK of this space may be delayed.</summary>
    public TimeSpan MaxAckDelay { get; }

    /// <summary>Keys were dropped (RFC 9001 §4.9); packets of this space are ignored from now on.</summary>
    public bool IsDiscarded { get; private set; }

    /// <summary>Ack-eliciting probe packets still owed after a PTO.</summary>
    public int ProbesPending { get; set; }

    /// <summary>Packets of this space can be sent: write keys are installed and not yet discarded.</summary>
    public bool CanSend => WriteKeys is not null && !IsDiscarded;

    /// <summary>Packets of this space can be read: read keys are installed and not yet discarded.</summary>
    public bool CanReceive => ReadKeys is not null && !IsDiscarded;

    /// <summary>An ACK should go out now (one is owed and its delay has run out).</summary>
    public bool AckDue(TimeSpan now) => Received.AckDue(now, MaxAckDelay);

    /// <summary>When an owed ACK falls due; null when none is owed or the space cannot send.</summary>
    public TimeSpan? AckDeadline() => CanSend ? Received.AckDeadline(MaxAckDelay) : null;

    /// <summary>A PTO chose this space: owe a probe, and make unacknowledged crypto data sendable again.</summary>
    public void OnProbeRequested()
    {
        ProbesPending++;
        CryptoSend.RequeueUnacknowledged();
    }

    /// <summary>Writes an ACK frame of everything received, recording what it acknowledged.</summary>
    public void WriteAck(ref SpanWriter writer, List<SentFrame> frames, TimeSpan now, int ackDelayExponent)
    {
        Received.WriteAckFrame(ref writer, now, ackDelayExponent);
        frames.Add(SentFrame.WithValue(SentFrameKind.Ack, (ulong)Received.LargestAcknowledgedInLastAck));
    }

    /// <summary>Writes CRYPTO frames while more than <paramref name="reserve"/> (plus a frame header) bytes are left.</summary>
    public void WriteCryptoFrames(ref SpanWriter writer, List<SentFrame> frames, int reserve)
    {
        while (writer.Remaining - reserve > 8 && CryptoSend.TryTakeChunk(writer.Remaining - reserve - 8, out ulong offset, out ReadOnlySpan<byte> data))
        {
            new CryptoFrame(offset, data).Write(ref writer);
            frames.Add(new SentFrame(SentFrameKind.Crypto, 0, offset, data.Length, false));
        }
    }

    /// <summary>A packet carrying our ACK up to <paramref name="largestAcknowledged"/> was acknowledged.</summary>
    public void OnAckAcknowledged(long largestAcknowledged) => Received.OnAckAcknowledged(largestAcknowledged);

    public void OnCryptoAcked(ulong offset, int length) => CryptoSend.OnAcked(offset, length);

    /// <summary>A CRYPTO frame was lost; its bytes are sent again unless the space is gone.</summary>
    public void OnCryptoLost(ulong offset, int length)
    {
        if (!IsDiscarded)
        {
            CryptoSend.OnLost(offset, length);
        }
    }

    public void Discard()
    {
        IsDiscarded = true;
        ProbesPending = 0;
        Dispose();
    }

    public void Dispose()
    {
        ReadKeys?.Dispose();
        WriteKeys?.Dispose();
        ReadKeys = null;
        WriteKeys = null;
    }
}
