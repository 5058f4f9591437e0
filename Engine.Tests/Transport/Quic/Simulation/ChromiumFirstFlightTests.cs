using System.Net;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>
/// Chromium 156's real first flights (shared/data/chromium-156) fed to a server endpoint: the
/// ClientHello split over two Initial packets with shuffled CRYPTO frames must yield a ServerHello
/// choosing x25519 and a full server flight; Chromium's retransmissions must be seen as duplicates.
/// </summary>
public sealed class ChromiumFirstFlightTests
{
    private static readonly IPEndPoint Chromium = new(IPAddress.Loopback, 50123);

    [Theory]
    [InlineData("webtransport-initials.hex")]
    [InlineData("h3-fetch-initials.hex")]
    public void ServerEndpoint_ChromiumFirstFlight_AnswersWithX25519ServerHelloAndFullFlight(string fileName)
    {
        byte[][] datagrams = ChromiumClientHelloTests.ReadDatagrams(fileName);
        using QuicEndpoint endpoint = CreateServer();
        TimeSpan now = TimeSpan.FromSeconds(1);

        endpoint.HandleDatagram(Chromium, datagrams[0], now);
        Assert.True(endpoint.TryAccept(out QuicConnectionCore connection));
        Assert.Equal(0, connection.CryptoBytesWritten(QuicPacketSpace.Initial)); // half a ClientHello: nothing to say yet
        endpoint.HandleDatagram(Chromium, datagrams[1], now + TimeSpan.FromMilliseconds(1));

        Assert.Equal(TlsConstants.X25519, connection.Tls.NegotiatedGroup);
        Assert.False(connection.Tls.UsedHelloRetryRequest);
        Assert.Equal("h3", connection.NegotiatedApplicationProtocol);
        Assert.Equal(65536UL, connection.PeerTransportParameters!.MaxDatagramFrameSize);
        Assert.True(connection.CryptoBytesWritten(QuicPacketSpace.Handshake) > 300, "EncryptedExtensions, Certificate, CertificateVerify and Finished");
        Assert.Null(connection.CloseInfo);

        List<byte[]> flight = DrainTransmits(endpoint, now);
        Assert.NotEmpty(flight);
        Assert.True(flight[0].Length >= 1200, "a server pads datagrams carrying an ack-eliciting Initial");
        long received = datagrams[0].Length + datagrams[1].Length;
        Assert.True(flight.Sum(d => (long)d.Length) <= 3 * received, "anti-amplification limit");

        byte[] dcid = OriginalDestinationConnectionId(datagrams[0]);
        ServerHelloMessage serverHello = ReadServerHello(flight[0], dcid);
        Assert.False(serverHello.IsHelloRetryRequest);
        Assert.Equal(TlsConstants.X25519, serverHello.KeyShare!.Value.Group);
        Assert.Equal(32, serverHello.KeyShare.Value.KeyExchange.Length);
        Assert.Equal(TlsConstants.TlsAes128GcmSha256, serverHello.CipherSuite);
        (int handshakePackets, long handshakeLength) = flight.Select(HandshakePackets).Aggregate((a, b) => (a.Count + b.Count, a.Length + b.Length));
        Assert.True(handshakePackets >= 1, "the Handshake flight is coalesced or follows");

        // Every Handshake byte TLS produced went out: the packets' Length fields, less packet number and tag, cover them.
        Assert.True(handshakeLength - (handshakePackets * (4 + 16)) >= connection.CryptoBytesWritten(QuicPacketSpace.Handshake));
    }

    [Theory]
    [InlineData("webtransport-initials.hex")]
    [InlineData("h3-fetch-initials.hex")]
    public void ServerEndpoint_ChromiumRetransmissions_AreRecognisedAsDuplicates(string fileName)
    {
        byte[][] datagrams = ChromiumClientHelloTests.ReadDatagrams(fileName);
        using QuicEndpoint endpoint = CreateServer();
        TimeSpan now = TimeSpan.FromSeconds(1);
        endpoint.HandleDatagram(Chromium, datagrams[0], now);
        endpoint.HandleDatagram(Chromium, datagrams[1], now);
        Assert.True(endpoint.TryAccept(out QuicConnectionCore connection));
        int initialBytes = connection.CryptoBytesWritten(QuicPacketSpace.Initial);
        int handshakeBytes = connection.CryptoBytesWritten(QuicPacketSpace.Handshake);
        DrainTransmits(endpoint, now);

        for (int i = 2; i < datagrams.Length; i++)
        {
            now += TimeSpan.FromMilliseconds(300 << (i - 2));
            endpoint.HandleDatagram(Chromium, datagrams[i], now);
        }

        Assert.Equal(1, endpoint.ConnectionCount);
        Assert.False(endpoint.TryAccept(out _));
        Assert.True(connection.Statistics.DuplicateCryptoFrames >= 3, $"{connection.Statistics.DuplicateCryptoFrames} duplicate CRYPTO frames");
        Assert.Equal(initialBytes, connection.CryptoBytesWritten(QuicPacketSpace.Initial)); // no second ServerHello
        Assert.Equal(handshakeBytes, connection.CryptoBytesWritten(QuicPacketSpace.Handshake));
        Assert.Null(connection.CloseInfo);
    }

    private static QuicEndpoint CreateServer() => new(new QuicEndpointOptions
    {
        Server = new QuicServerOptions
        {
            Tls = new TlsServerOptions { Certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10)), ApplicationProtocols = ["h3"] },
        },
    });

    private static List<byte[]> DrainTransmits(QuicEndpoint endpoint, TimeSpan now)
    {
        var sent = new List<byte[]>();
        byte[] buffer = new byte[65536];
        int length;
        while ((length = endpoint.PollTransmit(now, buffer, out IPEndPoint? destination)) > 0)
        {
            Assert.Equal(Chromium, destination);
            sent.Add(buffer[..length]);
        }

        return sent;
    }

    private static byte[] OriginalDestinationConnectionId(byte[] datagram)
    {
        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(datagram, 0, out QuicPacketHeader header));
        return header.DestinationConnectionId.ToArray();
    }

    private static (int Count, long Length) HandshakePackets(byte[] datagram)
    {
        int count = 0;
        long length = 0;
        ReadOnlySpan<byte> rest = datagram;
        while (!rest.IsEmpty && QuicPacketHeaderParser.TrySplitFirst(rest, 0, out QuicPacketHeader header, out _, out ReadOnlySpan<byte> next) == QuicHeaderStatus.Valid)
        {
            if (header.Type == QuicPacketType.Handshake)
            {
                count++;
                length += (long)header.Length;
            }

            rest = next;
        }

        return (count, length);
    }

    /// <summary>Decrypts the server's Initial packet (keys follow from the DCID) and parses the ServerHello in its CRYPTO frames.</summary>
    private static ServerHelloMessage ReadServerHello(byte[] datagram, byte[] originalDcid)
    {
        byte[] copy = (byte[])datagram.Clone();
        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TrySplitFirst(copy, 0, out QuicPacketHeader header, out ReadOnlySpan<byte> packet, out _));
        Assert.Equal(QuicPacketType.Initial, header.Type);
        Assert.Equal(0, header.DestinationConnectionId.Length); // Chromium's zero-length source connection ID
        using PacketProtection serverInitial = InitialSecrets.CreateServerProtection(originalDcid);
        Span<byte> writable = copy.AsSpan(0, packet.Length);
        Assert.True(serverInitial.TryUnprotect(writable, header.PacketNumberOffset, -1, out UnprotectedPacket opened));
        var buffer = new CryptoStreamBuffer();
        var collector = new ChromiumClientHelloTests.CryptoFeeder(buffer);
        Assert.Equal(QuicTransportErrorCode.NoError, QuicFrameParser.Parse(writable.Slice(opened.HeaderLength, opened.PayloadLength), QuicPacketType.Initial, ref collector, out _));
        Assert.True(TlsHandshakeFraming.TrySplitMessage(buffer.Contiguous, out TlsHandshakeType type, out ReadOnlySpan<byte> body, out _));
        Assert.Equal(TlsHandshakeType.ServerHello, type);
        Assert.Equal(TlsError.None, ServerHelloMessage.TryParse(body, out ServerHelloMessage? hello, out string reason));
        Assert.True(hello is not null, reason);
        return hello;
    }
}
