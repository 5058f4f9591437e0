using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic;

/// <summary>Everything a connection keeps per packet-number space: keys, received packets, crypto streams, pending probes.</summary>
internal sealed class PacketSpaceState : IDisposable
{
    public PacketSpaceState(QuicPacketSpace space, int maxAckRanges)
    {
        Space = space;
        Received = new ReceivedPacketTracker(maxAckRanges) { SpaceUsesImmediateAck = space != QuicPacketSpace.ApplicationData };
    }

    public QuicPacketSpace Space { get; }

    public PacketProtection? ReadKeys { get; set; }

    public PacketProtection? WriteKeys { get; set; }

    public ReceivedPacketTracker Received { get; }

    public CryptoStreamBuffer CryptoReceive { get; } = new();

    public CryptoSendStream CryptoSend { get; } = new();

    /// <summary>Keys were dropped (RFC 9001 §4.9); packets of this space are ignored from now on.</summary>
    public bool IsDiscarded { get; private set; }

    /// <summary>Ack-eliciting probe packets still owed after a PTO.</summary>
    public int ProbesPending { get; set; }

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
