using System.Buffers.Binary;
using Engine.Transport.Quic.Crypto;
using static Engine.Tests.Transport.Quic.Crypto.Rfc9001Vectors;

namespace Engine.Tests.Transport.Quic.Crypto;

public class PacketProtectionTests
{
    private const int TagLength = 16;

    [Fact]
    public void Protect_Rfc9001ClientInitial_ProducesAppendixA2Bytes()
    {
        byte[] packet = UnprotectedClientInitial();
        using PacketProtection client = InitialSecrets.CreateClientProtection(Bytes(DestinationConnectionId));

        int length = client.Protect(packet, ClientPacketNumberOffset, ClientPayloadLength, ClientPacketNumber);

        Assert.Equal(1200, length);
        Assert.Equal(Bytes(ClientProtectedHeader), packet[..22]);
        Assert.Equal(Bytes(ClientSample), packet[22..38]);
        Assert.Equal(Bytes(ClientProtectedPacket), packet);
        Assert.Equal(1, client.PacketsProtected);
    }

    [Fact]
    public void TryUnprotect_Rfc9001ClientInitial_RecoversAppendixA2HeaderAndPayload()
    {
        byte[] packet = Bytes(ClientProtectedPacket);
        using PacketProtection client = InitialSecrets.CreateClientProtection(Bytes(DestinationConnectionId));

        bool opened = client.TryUnprotect(packet, ClientPacketNumberOffset, largestReceivedPacketNumber: -1, out UnprotectedPacket result);

        Assert.True(opened);
        Assert.Equal(new UnprotectedPacket(ClientPacketNumber, 4, 22, ClientPayloadLength), result);
        Assert.Equal(UnprotectedClientInitial()[..(22 + ClientPayloadLength)], packet[..(22 + ClientPayloadLength)]);
    }

    [Fact]
    public void Protect_Rfc9001ServerInitial_ProducesAppendixA3Bytes()
    {
        byte[] payload = Bytes(ServerPayload);
        byte[] packet = [.. Bytes(ServerUnprotectedHeader), .. payload, .. new byte[TagLength]];
        using PacketProtection server = InitialSecrets.CreateServerProtection(Bytes(DestinationConnectionId));

        int length = server.Protect(packet, ServerPacketNumberOffset, payload.Length, ServerPacketNumber);

        Assert.Equal(packet.Length, length);
        Assert.Equal(Bytes(ServerProtectedHeader), packet[..20]);
        Assert.Equal(Bytes(ServerProtectedPacket), packet);
    }

    [Fact]
    public void TryUnprotect_Rfc9001ServerInitial_RecoversAppendixA3Payload()
    {
        byte[] packet = Bytes(ServerProtectedPacket);
        byte[] payload = Bytes(ServerPayload);
        using PacketProtection server = InitialSecrets.CreateServerProtection(Bytes(DestinationConnectionId));

        Assert.True(server.TryUnprotect(packet, ServerPacketNumberOffset, -1, out UnprotectedPacket result));

        Assert.Equal(new UnprotectedPacket(ServerPacketNumber, 2, 20, payload.Length), result);
        Assert.Equal(Bytes(ServerUnprotectedHeader), packet[..20]);
        Assert.Equal(payload, packet.AsSpan(result.HeaderLength, result.PayloadLength).ToArray());
    }

    [Fact]
    public void TryUnprotect_AnySingleBitFlipped_ReturnsFalse()
    {
        byte[] original = Bytes(ClientProtectedPacket);
        using PacketProtection client = InitialSecrets.CreateClientProtection(Bytes(DestinationConnectionId));
        byte[] packet = new byte[original.Length];
        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            original.CopyTo(packet, 0);
            packet[bit / 8] ^= (byte)(1 << (bit % 8));

            Assert.False(client.TryUnprotect(packet, ClientPacketNumberOffset, -1, out _), $"bit {bit} flipped still opened");
        }

        Assert.Equal(original.Length * 8, client.AuthenticationFailures);
    }

    [Fact]
    public void TryUnprotect_ShorterThanSample_ReturnsFalseAndLeavesBytes()
    {
        byte[] original = Bytes(ClientProtectedPacket);
        using PacketProtection client = InitialSecrets.CreateClientProtection(Bytes(DestinationConnectionId));
        int shortestSampled = ClientPacketNumberOffset + HeaderProtection.SampleOffset + HeaderProtection.SampleLength;
        for (int length = 0; length < shortestSampled; length++)
        {
            byte[] packet = original[..length];

            Assert.False(client.TryUnprotect(packet, ClientPacketNumberOffset, -1, out _));
            Assert.Equal(original[..length], packet);
        }
    }

    [Fact]
    public void TryUnprotect_PacketNumberOffsetBeyondPacket_ReturnsFalse()
    {
        byte[] packet = Bytes(ClientProtectedPacket);
        using PacketProtection client = InitialSecrets.CreateClientProtection(Bytes(DestinationConnectionId));

        Assert.False(client.TryUnprotect(packet, packet.Length, -1, out _));
        Assert.False(client.TryUnprotect(packet, int.MaxValue, -1, out _));
        Assert.False(client.TryUnprotect(packet, 0, -1, out _));
    }

    [Fact]
    public void TryUnprotect_OtherDirectionsKeys_ReturnsFalse()
    {
        byte[] packet = Bytes(ClientProtectedPacket);
        using PacketProtection server = InitialSecrets.CreateServerProtection(Bytes(DestinationConnectionId));

        Assert.False(server.TryUnprotect(packet, ClientPacketNumberOffset, -1, out _));
        Assert.Equal(1, server.AuthenticationFailures);
    }

    [Fact]
    public void Protect_PayloadTooShortToSample_Throws()
    {
        // Short header, 8-byte DCID, 1-byte packet number, 1-byte payload: 3 bytes short of a sample.
        byte[] packet = new byte[1 + 8 + 1 + 1 + TagLength];
        packet[0] = 0x40;
        using PacketProtection keys = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, new byte[32]);

        Assert.Throws<ArgumentException>(() => keys.Protect(packet, 9, 1, 0));
    }

    [Theory]
    [InlineData(0x1301, 32)] // TLS_AES_128_GCM_SHA256
    [InlineData(0x1302, 48)] // TLS_AES_256_GCM_SHA384
    public void ProtectThenUnprotect_ShortHeader_RoundTrips(int cipherSuiteCode, int secretLength)
    {
        var suite = (QuicCipherSuite)cipherSuiteCode;
        byte[] secret = new byte[secretLength];
        Random.Shared.NextBytes(secret);
        using PacketProtection sender = PacketProtection.FromSecret(suite, secret);
        using PacketProtection receiver = PacketProtection.FromSecret(suite, secret);
        (byte[] packet, byte[] plain) = ShortHeaderPacket(packetNumber: 0x12345, payloadLength: 1171);

        int length = sender.Protect(packet, 9, 1171, 0x12345);
        Assert.NotEqual(plain, packet);
        bool opened = receiver.TryUnprotect(packet.AsSpan(..length), 9, 0x12340, out UnprotectedPacket result);

        Assert.True(opened);
        Assert.Equal(new UnprotectedPacket(0x12345, 4, 13, 1171), result);
        Assert.Equal(plain[..(13 + 1171)], packet[..(13 + 1171)]);
    }

    [Fact]
    public void ProtectAndUnprotect_SteadyState_AllocateNothing()
    {
        byte[] secret = new byte[32];
        using PacketProtection sender = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        using PacketProtection receiver = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        (byte[] packet, _) = ShortHeaderPacket(packetNumber: 0, payloadLength: 1171);
        RoundTrip(0); // warm up: first calls may allocate lazily inside the runtime

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long packetNumber = 1; packetNumber <= 100; packetNumber++)
        {
            RoundTrip(packetNumber);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RoundTrip(long packetNumber)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(9), (uint)packetNumber);
            sender.Protect(packet, 9, 1171, packetNumber);
            Assert.True(receiver.TryUnprotect(packet, 9, packetNumber - 1, out _));
        }
    }

    [Fact]
    public void FromSecret_Aes256_DerivesThirtyTwoByteKeys()
    {
        byte[] secret = new byte[48];
        byte[] key = new byte[32];
        byte[] iv = new byte[12];
        byte[] hp = new byte[32];

        PacketProtection.DeriveKeyMaterial(QuicCipherSuite.Aes256GcmSha384, secret, key, iv, hp);

        Assert.NotEqual(key, hp);
        Assert.Throws<ArgumentException>(() => PacketProtection.FromSecret(QuicCipherSuite.Aes256GcmSha384, new byte[32]));
    }

    [Fact]
    public void CreateNextKeyPhase_BothSides_InteroperateAndOldKeysFail()
    {
        byte[] secret = new byte[32];
        Random.Shared.NextBytes(secret);
        using PacketProtection sender = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        using PacketProtection receiver = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        using PacketProtection nextSender = sender.CreateNextKeyPhase();
        using PacketProtection nextReceiver = receiver.CreateNextKeyPhase();
        (byte[] packet, byte[] plain) = ShortHeaderPacket(packetNumber: 7, payloadLength: 100);
        nextSender.Protect(packet, 9, 100, 7);
        byte[] copy = (byte[])packet.Clone();

        // The header key carries over, so the old keys still unmask the header; the AEAD does not open.
        Assert.True(receiver.TryRemoveHeaderProtection(copy, 9, 6, out long packetNumber, out int packetNumberLength));
        Assert.Equal(7, packetNumber);
        Assert.False(receiver.TryDecryptPayload(copy, 9 + packetNumberLength, packetNumber, out _));
        Assert.True(nextReceiver.TryUnprotect(packet, 9, 6, out UnprotectedPacket result));
        Assert.Equal(plain[..(13 + 100)], packet[..(result.HeaderLength + result.PayloadLength)]);
    }

    [Fact]
    public void DeriveNextSecret_Rfc9001AppendixA5Secret_GivesKu()
    {
        byte[] next = new byte[32];

        PacketProtection.DeriveNextSecret(QuicCipherSuite.Aes128GcmSha256, Bytes(ChaChaSecret), next);

        Assert.Equal(Bytes(ChaChaKu), next);
    }

    [Fact]
    public void ComputeNonce_Rfc9001AppendixA5_GivesNonce()
    {
        byte[] nonce = new byte[12];

        PayloadProtection.ComputeNonce(Bytes(ChaChaIv), ChaChaPacketNumber, nonce);

        Assert.Equal(Bytes(ChaChaNonce), nonce);
    }

    [Theory]
    [InlineData(0xa82f30eaL, 0x9b32L, 2, 0xa82f9b32L)] // RFC 9000 Appendix A.3
    [InlineData(-1L, 0x02L, 4, 2L)]
    [InlineData(0xffL, 0x01L, 1, 0x101L)]
    [InlineData(0x101L, 0xffL, 1, 0xffL)]
    [InlineData(-1L, 0xffL, 1, 0xffL)]
    public void DecodePacketNumber_Truncated_RecoversClosestToExpected(long largest, long truncated, int length, long expected)
    {
        Assert.Equal(expected, Engine.Transport.Quic.Wire.QuicPacketNumber.Decode(largest, (uint)truncated, length)); // the one decoder unprotect uses
    }

    private static byte[] UnprotectedClientInitial()
    {
        byte[] packet = new byte[1200];
        Bytes(ClientUnprotectedHeader).CopyTo(packet, 0);
        Bytes(ClientCryptoFrame).CopyTo(packet, 22); // PADDING frames are zero bytes
        return packet;
    }

    /// <summary>A 1-RTT packet: first byte 0x43 (4-byte packet number), 8-byte DCID, payload, tag room.</summary>
    private static (byte[] Packet, byte[] Plain) ShortHeaderPacket(long packetNumber, int payloadLength)
    {
        byte[] packet = new byte[13 + payloadLength + TagLength];
        packet[0] = 0x43;
        Random.Shared.NextBytes(packet.AsSpan(1, 8));
        packet[9] = (byte)(packetNumber >> 24);
        packet[10] = (byte)(packetNumber >> 16);
        packet[11] = (byte)(packetNumber >> 8);
        packet[12] = (byte)packetNumber;
        Random.Shared.NextBytes(packet.AsSpan(13, payloadLength));
        return (packet, (byte[])packet.Clone());
    }
}
