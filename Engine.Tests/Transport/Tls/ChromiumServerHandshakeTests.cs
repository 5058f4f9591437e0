using System.Security.Cryptography.X509Certificates;
using Engine.Tests.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>Our server answering Chromium 156's real ClientHello (shared/data/chromium-156).</summary>
public sealed class ChromiumServerHandshakeTests : IDisposable
{
    private readonly X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();

    public void Dispose() => certificate.Dispose();

    [Theory]
    [InlineData("webtransport-initials.hex")]
    [InlineData("h3-fetch-initials.hex")]
    public void ReceiveHandshakeData_ChromiumClientHello_SendsTheWholeServerFlight(string fileName)
    {
        using var server = new TlsServerHandshake(Options(), TlsHandshakePair.ServerTransportParameters());

        TlsError error = server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, ChromiumClientHello(fileName));

        Assert.True(error == TlsError.None, server.FailureReason);
        List<TlsOutput> outputs = Drain(server);
        Assert.Equal(
            [
                (TlsOutputKind.HandshakeData, TlsEncryptionLevel.Initial),
                (TlsOutputKind.WriteSecret, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.ReadSecret, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.HandshakeData, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.WriteSecret, TlsEncryptionLevel.Application),
            ],
            outputs.Select(o => (o.Kind, o.Level)));

        ServerHelloMessage hello = ParseServerHello(outputs[0].Data);
        Assert.False(hello.IsHelloRetryRequest);
        Assert.Equal(TlsConstants.X25519, hello.KeyShare!.Value.Group);
        Assert.Equal(32, hello.KeyShare.Value.KeyExchange.Length);
        Assert.Equal(TlsConstants.TlsAes128GcmSha256, hello.CipherSuite);
        Assert.Equal(TlsConstants.X25519, server.NegotiatedGroup);
        Assert.Equal(TlsCipherSuite.Aes128GcmSha256, server.CipherSuite);
        Assert.Equal("h3", server.NegotiatedApplicationProtocol);
        Assert.NotEmpty(server.PeerTransportParametersExtension!);
        Assert.All(outputs.Where(o => o.Kind != TlsOutputKind.HandshakeData), o => Assert.Equal(32, o.Data.Length));

        Assert.Equal(
            [TlsHandshakeType.EncryptedExtensions, TlsHandshakeType.Certificate, TlsHandshakeType.CertificateVerify, TlsHandshakeType.Finished],
            MessageTypes(outputs[3].Data));
        Assert.False(server.IsHandshakeComplete);
    }

    [Fact]
    public void ReceiveHandshakeData_ChromiumClientHelloWhenServerWantsSecp256r1_SendsHelloRetryRequest()
    {
        using var server = new TlsServerHandshake(Options() with { KeyExchangeGroups = [TlsConstants.Secp256r1] }, TlsHandshakePair.ServerTransportParameters());

        Assert.Equal(TlsError.None, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, ChromiumClientHello("webtransport-initials.hex")));

        TlsOutput output = Assert.Single(Drain(server));
        Assert.Equal(TlsEncryptionLevel.Initial, output.Level);
        ServerHelloMessage retry = ParseServerHello(output.Data);
        Assert.True(retry.IsHelloRetryRequest);
        Assert.Equal(TlsConstants.Secp256r1, retry.SelectedGroup);
        Assert.True(server.UsedHelloRetryRequest);
    }

    [Fact]
    public void ReceiveHandshakeData_ChromiumClientHelloInOneByteChunks_SendsTheServerFlight()
    {
        using var server = new TlsServerHandshake(Options(), TlsHandshakePair.ServerTransportParameters());
        byte[] hello = ChromiumClientHello("h3-fetch-initials.hex");

        foreach (byte value in hello)
        {
            Assert.Equal(TlsError.None, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, [value]));
        }

        Assert.Equal(5, Drain(server).Count);
    }

    [Fact]
    public void ReceiveHandshakeData_ChromiumClientHelloWithEveryByteFlipped_NeverThrows()
    {
        byte[] hello = ChromiumClientHello("webtransport-initials.hex");
        int accepted = 0;
        for (int i = 0; i < hello.Length; i++)
        {
            byte[] mutated = (byte[])hello.Clone();
            mutated[i] ^= 0x5a;
            using var server = new TlsServerHandshake(Options(), TlsHandshakePair.ServerTransportParameters());
            TlsError error = server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, mutated);
            if (error == TlsError.None)
            {
                accepted++;
            }
            else
            {
                Assert.NotNull(server.FailureReason);
            }
        }

        Assert.InRange(accepted, 1, hello.Length - 1);
    }

    /// <summary>Chromium's ClientHello, taken out of its QUIC Initials by the QUIC tests.</summary>
    internal static byte[] ChromiumClientHello(string fileName) => ChromiumClientHelloTests.ClientHelloBytes(fileName);

    private static List<TlsOutput> Drain(TlsHandshake handshake)
    {
        var outputs = new List<TlsOutput>();
        while (handshake.TryDequeue(out TlsOutput output))
        {
            outputs.Add(output);
        }

        return outputs;
    }

    private static ServerHelloMessage ParseServerHello(byte[] message)
    {
        Assert.True(TlsHandshakeFraming.TrySplitMessage(message, out TlsHandshakeType type, out ReadOnlySpan<byte> body, out int length));
        Assert.Equal(TlsHandshakeType.ServerHello, type);
        Assert.Equal(message.Length, length);
        Assert.Equal(TlsError.None, ServerHelloMessage.TryParse(body, out ServerHelloMessage? hello, out string reason));
        Assert.True(reason.Length == 0, reason);
        return hello!;
    }

    private static List<TlsHandshakeType> MessageTypes(byte[] data)
    {
        var types = new List<TlsHandshakeType>();
        int offset = 0;
        while (TlsHandshakeFraming.TrySplitMessage(data.AsSpan(offset), out TlsHandshakeType type, out _, out int length))
        {
            types.Add(type);
            offset += length;
        }

        Assert.Equal(data.Length, offset);
        return types;
    }

    private TlsServerOptions Options() => new() { Certificate = certificate, ApplicationProtocols = ["h3"] };
}
