using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;

namespace Engine.Tests.Transport.Quic;

/// <summary>
/// What tests need from a connection beyond its API, built from its components' internal
/// surfaces (packet spaces, connection IDs, loss recovery) so the shipping type carries no test hooks.
/// </summary>
internal static class QuicConnectionTestHooks
{
    /// <summary>
    /// Seals arbitrary frame bytes into one packet of <paramref name="space"/> with the
    /// connection's real keys and header, bypassing frame generation. For tests that play a
    /// misbehaving peer: the receiver sees an authentic packet whose frames are bad. The packet is
    /// recorded as sent (with no frames), so the peer's ACK of it is legitimate. Returns the packet
    /// length, or 0 when the space has no write keys.
    /// </summary>
    public static int SealRawPacket(this QuicConnectionCore connection, QuicPacketSpace space, ReadOnlySpan<byte> frames, Span<byte> destination, TimeSpan now)
    {
        PacketProtection? keys = connection.PacketSpaces[space].WriteKeys;
        if (keys is null)
        {
            return 0;
        }

        LossRecovery recovery = connection.Recovery;
        long packetNumber = recovery.NextPacketNumber(space);
        const int packetNumberLength = 4;
        int payloadLength = Math.Max(frames.Length, 4);
        var writer = new SpanWriter(destination);
        ConnectionIdState ids = connection.ConnectionIds;
        int packetNumberOffset = PacketBuilder.WriteHeader(
            ref writer, space, ids.Remote, ids.Local, packetNumber, packetNumberLength, payloadLength, connection.PacketSpaces.KeyPhase);
        writer.WriteBytes(frames);
        writer.WriteZeros(payloadLength - frames.Length);
        int length = keys.Protect(destination, packetNumberOffset, payloadLength, packetNumber);

        SentPacket record = recovery.RentPacket();
        record.PacketNumber = packetNumber;
        record.TimeSent = now;
        record.Size = length;
        recovery.OnPacketSent(space, record);
        return length;
    }

    /// <summary>Bytes TLS has handed to the crypto stream of <paramref name="space"/> so far.</summary>
    public static int CryptoBytesWritten(this QuicConnectionCore connection, QuicPacketSpace space) =>
        connection.PacketSpaces[space].CryptoSend.Length;
}
