using Engine.Transport.Quic;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic;

/// <summary>
/// The real Chromium 156 first flights (shared/data/chromium-156): unprotect, walk the frames
/// with the wire parser, reassemble CRYPTO in <see cref="CryptoStreamBuffer"/>, parse the ClientHello.
/// </summary>
public class ChromiumClientHelloTests
{
    [Theory]
    [InlineData("webtransport-initials.hex", 1469)]
    [InlineData("h3-fetch-initials.hex", 1895)]
    public void TryParse_ChromiumFirstFlight_ExtractsTheClientHello(string fileName, int handshakeLength)
    {
        byte[][] datagrams = ReadDatagrams(fileName);
        var buffer = new CryptoStreamBuffer();

        Assert.True(Feed(datagrams[0], buffer) > 0);
        Assert.True(Feed(datagrams[1], buffer) > 0);

        ReadOnlySpan<byte> stream = buffer.Contiguous;
        Assert.True(TlsHandshakeFraming.TrySplitMessage(stream, out TlsHandshakeType type, out ReadOnlySpan<byte> body, out int messageLength));
        Assert.Equal(TlsHandshakeType.ClientHello, type);
        Assert.Equal(handshakeLength, body.Length);
        Assert.Equal(stream.Length, messageLength);

        TlsError error = ClientHello.TryParse(stream, out ClientHello? hello, out string reason);
        Assert.True(error == TlsError.None, reason);
        Assert.NotNull(hello);

        Assert.Equal(TlsConstants.Tls12, hello.LegacyVersion);
        Assert.Equal(32, hello.Random.Length);
        Assert.Contains(TlsConstants.Tls13, hello.SupportedVersions);
        Assert.Equal(["h3"], hello.ApplicationProtocols);
        Assert.Null(hello.ServerName);
        Assert.Contains(TlsConstants.X25519MlKem768, hello.SupportedGroups);
        Assert.Contains(TlsConstants.X25519, hello.SupportedGroups);
        Assert.Contains(TlsConstants.Secp256r1, hello.SupportedGroups);
        Assert.Contains(TlsConstants.Secp384r1, hello.SupportedGroups);
        Assert.Equal(1216, Assert.Single(hello.KeyShares, s => s.Group == TlsConstants.X25519MlKem768).KeyExchange.Length);
        Assert.Equal(32, Assert.Single(hello.KeyShares, s => s.Group == TlsConstants.X25519).KeyExchange.Length);
        Assert.Contains(TlsConstants.TlsAes128GcmSha256, hello.CipherSuites);
        Assert.Contains(TlsConstants.TlsAes256GcmSha384, hello.CipherSuites);
        Assert.NotEmpty(hello.SignatureAlgorithms);
        Assert.Equal([0], hello.LegacyCompressionMethods);

        TransportParameters parameters = ParseClientParameters(hello.TransportParametersExtension);
        Assert.Equal(65536UL, parameters.MaxDatagramFrameSize);
        Assert.Equal(Array.Empty<byte>(), parameters.InitialSourceConnectionId);
    }

    [Fact]
    public void TryParse_WebTransportFlight_HasChromiumTransportParameters()
    {
        byte[][] datagrams = ReadDatagrams("webtransport-initials.hex");
        var buffer = new CryptoStreamBuffer();
        Feed(datagrams[0], buffer);
        Feed(datagrams[1], buffer);

        Assert.Equal(TlsError.None, ClientHello.TryParse(buffer.Contiguous, out ClientHello? hello, out string reason));
        TransportParameters parameters = ParseClientParameters(hello!.TransportParametersExtension);
        Assert.True(reason.Length == 0, reason);

        Assert.Equal(30000UL, parameters.MaxIdleTimeout);
        Assert.Equal(1472UL, parameters.MaxUdpPayloadSize);
        Assert.Equal(15728640UL, parameters.InitialMaxData);
        Assert.Equal(6291456UL, parameters.InitialMaxStreamDataBidiLocal);
        Assert.Equal(6291456UL, parameters.InitialMaxStreamDataBidiRemote);
        Assert.Equal(6291456UL, parameters.InitialMaxStreamDataUni);
        Assert.Equal(100UL, parameters.InitialMaxStreamsBidi);
        Assert.Equal(103UL, parameters.InitialMaxStreamsUni);
        Assert.NotNull(parameters.InitialSourceConnectionId);
        Assert.Empty(parameters.InitialSourceConnectionId);
        Assert.Equal(65536UL, parameters.MaxDatagramFrameSize);
    }

    [Theory]
    [InlineData("webtransport-initials.hex")]
    [InlineData("h3-fetch-initials.hex")]
    public void Add_ChromiumRetransmissions_AddNothingNew(string fileName)
    {
        byte[][] datagrams = ReadDatagrams(fileName);
        var buffer = new CryptoStreamBuffer();
        Feed(datagrams[0], buffer);
        Feed(datagrams[1], buffer);
        ulong received = buffer.BytesReceived;
        byte[] stream = buffer.Contiguous.ToArray();

        for (int i = 2; i < datagrams.Length; i++)
        {
            Assert.Equal(0, Feed(datagrams[i], buffer));
        }

        Assert.Equal(received, buffer.BytesReceived);
        Assert.Equal(stream, buffer.Contiguous.ToArray());
    }

    /// <summary>The ClientHello message Chromium's first two datagrams in <paramref name="fileName"/> carry.</summary>
    internal static byte[] ClientHelloBytes(string fileName)
    {
        byte[][] datagrams = ReadDatagrams(fileName);
        var buffer = new CryptoStreamBuffer();
        Feed(datagrams[0], buffer);
        Feed(datagrams[1], buffer);
        return buffer.Contiguous.ToArray();
    }

    /// <summary>TLS hands over quic_transport_parameters unparsed; QUIC parses them (as <see cref="TlsAdapter"/> does).</summary>
    private static TransportParameters ParseClientParameters(byte[]? extension)
    {
        Assert.NotNull(extension);
        Assert.True(TransportParameters.TryParse(extension, fromServer: false, out TransportParameters parameters, out string error), error);
        return parameters;
    }

    /// <summary>Unprotects each Initial packet in the datagram and feeds its CRYPTO frames; returns new bytes.</summary>
    internal static int Feed(byte[] datagram, CryptoStreamBuffer buffer)
    {
        int fresh = 0;
        ReadOnlySpan<byte> rest = datagram;
        int start = 0;
        while (!rest.IsEmpty && rest[0] != 0)
        {
            Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TrySplitFirst(rest, 0, out QuicPacketHeader header, out ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> next));
            Assert.Equal(QuicPacketType.Initial, header.Type);
            using PacketProtection client = InitialSecrets.CreateClientProtection(header.DestinationConnectionId);
            Span<byte> writable = datagram.AsSpan(start, packet.Length);
            Assert.True(client.TryUnprotect(writable, header.PacketNumberOffset, -1, out UnprotectedPacket opened));

            var visitor = new CryptoFeeder(buffer);
            QuicTransportErrorCode error = QuicFrameParser.Parse(
                writable.Slice(opened.HeaderLength, opened.PayloadLength), QuicPacketType.Initial, ref visitor, out _);
            Assert.Equal(QuicTransportErrorCode.NoError, error);
            fresh += visitor.NewBytes;
            start += packet.Length;
            rest = next;
        }

        return fresh;
    }

    internal static byte[][] ReadDatagrams(string fileName)
    {
        string[] lines = File.ReadAllLines(Path.Combine(FixtureDirectory(), fileName))
            .Where(line => line.Length > 0)
            .ToArray();
        Assert.Equal(5, lines.Length);
        return lines.Select(line => Convert.FromHexString(line.Split(' ')[1])).ToArray();
    }

    private static string FixtureDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return Path.Combine(candidate, "chromium-156");
            }
        }

        Assert.Fail($"No shared/data directory above {AppContext.BaseDirectory}.");
        return string.Empty;
    }

    /// <summary>Feeds CRYPTO frames to the buffer; accepts the rest of what an Initial may carry.</summary>
    internal struct CryptoFeeder(CryptoStreamBuffer buffer) : IQuicFrameVisitor
    {
        public int NewBytes { get; private set; }

        public QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame)
        {
            QuicTransportErrorCode error = buffer.Add(frame.Offset, frame.Data, out int fresh);
            NewBytes += fresh;
            return error;
        }

        public readonly QuicTransportErrorCode OnPadding(PaddingFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPing() => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnAck(scoped AckFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStopSending(in StopSendingFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStream(scoped StreamFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnMaxData(in MaxDataFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnHandshakeDone() => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame) => QuicTransportErrorCode.NoError;
    }
}
