using Engine.Transport.Coding;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    /// <summary>
    /// Seals arbitrary frame bytes into one packet of <paramref name="spaceId"/> with this
    /// connection's real keys and header, bypassing frame generation and recovery. For tests that
    /// play a misbehaving peer: the receiver sees an authentic packet whose frames are bad.
    /// Returns the packet length, or 0 when this space has no write keys.
    /// </summary>
    internal int SealRawPacketForTesting(QuicPacketSpace spaceId, ReadOnlySpan<byte> frames, Span<byte> destination, TimeSpan now)
    {
        PacketProtection? keys = Space(spaceId).WriteKeys;
        if (keys is null)
        {
            return 0;
        }

        long packetNumber = _recovery.NextPacketNumber(spaceId);
        const int packetNumberLength = 4;
        int payloadLength = Math.Max(frames.Length, 4);
        var writer = new SpanWriter(destination);
        int packetNumberOffset = PacketBuilder.WriteHeader(
            ref writer, spaceId, _connectionIds.Remote, _connectionIds.Local, packetNumber, packetNumberLength, payloadLength, _spaces.KeyPhase);
        writer.WriteBytes(frames);
        writer.WriteZeros(payloadLength - frames.Length);
        int length = keys.Protect(destination, packetNumberOffset, payloadLength, packetNumber);

        // Recorded as sent (with no frames to report), so the peer's ACK of it is legitimate.
        Recovery.SentPacket record = _recovery.RentPacket();
        record.PacketNumber = packetNumber;
        record.TimeSent = now;
        record.Size = length;
        _recovery.OnPacketSent(spaceId, record);
        return length;
    }

    /// <summary>Bytes TLS has handed to the crypto stream of <paramref name="spaceId"/> so far (for tests and diagnostics).</summary>
    internal int CryptoBytesWritten(QuicPacketSpace spaceId) => Space(spaceId).CryptoSend.Length;

    /// <summary>Whether keys for <paramref name="spaceId"/> are still held (false once discarded).</summary>
    internal bool HasKeys(QuicPacketSpace spaceId) => !Space(spaceId).IsDiscarded && Space(spaceId).ReadKeys is not null;
}
