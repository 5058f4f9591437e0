using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>Our client against our server, in memory, with real crypto.</summary>
public sealed class TlsHandshakeTests : IDisposable
{
    private readonly X509Certificate2 ecdsa = TlsTestCertificates.CreateEcdsa();

    public void Dispose() => ecdsa.Dispose();

    [Fact]
    public void Run_X25519_CompletesWithMatchingSecrets()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Run();

        AssertComplete(pair);
        Assert.Equal(TlsConstants.X25519, pair.Client.NegotiatedGroup);
        Assert.Equal(TlsConstants.X25519, pair.Server.NegotiatedGroup);
        Assert.False(pair.Client.UsedHelloRetryRequest);
        Assert.False(pair.Server.UsedHelloRetryRequest);
        Assert.Equal(TlsCipherSuite.Aes128GcmSha256, pair.Client.CipherSuite);
        Assert.Equal("h3", pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal("h3", pair.Server.NegotiatedApplicationProtocol);
        Assert.Equal(TlsHandshakePair.ClientTransportParameters(), pair.Server.PeerTransportParametersExtension);
        Assert.Equal(TlsHandshakePair.ServerTransportParameters(), pair.Client.PeerTransportParametersExtension);
    }

    [Fact]
    public void Run_ServerWantsSecp256r1_CompletesThroughHelloRetryRequest()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] });
        pair.Run();

        AssertComplete(pair);
        Assert.True(pair.Client.UsedHelloRetryRequest);
        Assert.True(pair.Server.UsedHelloRetryRequest);
        Assert.Equal(TlsConstants.Secp256r1, pair.Client.NegotiatedGroup);
        Assert.Equal(TlsConstants.Secp256r1, pair.Server.NegotiatedGroup);
        Assert.Equal(2, pair.ClientOutputs.Count(o => o.Kind == TlsOutputKind.HandshakeData && o.Level == TlsEncryptionLevel.Initial));
    }

    [Fact]
    public void Run_ClientSharesSecp256r1_CompletesWithoutRetry()
    {
        using var pair = new TlsHandshakePair(PinnedClient() with { KeyShareGroups = [TlsConstants.Secp256r1] }, Server());
        pair.Run();

        AssertComplete(pair);
        Assert.False(pair.Server.UsedHelloRetryRequest);
        Assert.Equal(TlsConstants.Secp256r1, pair.Server.NegotiatedGroup);
    }

    [Fact]
    public void Run_ClientSendsNoShares_CompletesThroughHelloRetryRequestForX25519()
    {
        using var pair = new TlsHandshakePair(PinnedClient() with { KeyShareGroups = [] }, Server());
        pair.Run();

        AssertComplete(pair);
        Assert.True(pair.Server.UsedHelloRetryRequest);
        Assert.Equal(TlsConstants.X25519, pair.Server.NegotiatedGroup);
    }

    [Theory]
    [InlineData((ushort)TlsCipherSuite.Aes128GcmSha256, 32)]
    [InlineData((ushort)TlsCipherSuite.Aes256GcmSha384, 48)]
    public void Run_ServerCipherSuite_BothSidesUseItWithSecretsOfItsHashLength(ushort suiteId, int secretLength)
    {
        var suite = (TlsCipherSuite)suiteId;
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { CipherSuites = [suite] });
        pair.Run();

        AssertComplete(pair);
        Assert.Equal(suite, pair.Client.CipherSuite);
        Assert.Equal(suite, pair.Server.CipherSuite);
        Assert.All(pair.ClientOutputs.Where(o => o.Kind != TlsOutputKind.HandshakeData), o =>
        {
            Assert.Equal(suite, o.CipherSuite);
            Assert.Equal(secretLength, o.Data.Length);
        });
    }

    [Fact]
    public void Run_AfterHelloRetryWithAes256_CompletesWithMatchingSecrets()
    {
        using var pair = new TlsHandshakePair(
            PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1], CipherSuites = [TlsCipherSuite.Aes256GcmSha384] });
        pair.Run();

        AssertComplete(pair);
        Assert.True(pair.Client.UsedHelloRetryRequest);
    }

    [Fact]
    public void Run_Outputs_ComeInTheDocumentedOrder()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Run();

        Assert.Equal(
            [
                (TlsOutputKind.HandshakeData, TlsEncryptionLevel.Initial),
                (TlsOutputKind.WriteSecret, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.ReadSecret, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.HandshakeData, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.WriteSecret, TlsEncryptionLevel.Application),
                (TlsOutputKind.ReadSecret, TlsEncryptionLevel.Application),
            ],
            pair.ServerOutputs.Select(o => (o.Kind, o.Level)));
        Assert.Equal(
            [
                (TlsOutputKind.HandshakeData, TlsEncryptionLevel.Initial),
                (TlsOutputKind.ReadSecret, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.WriteSecret, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.HandshakeData, TlsEncryptionLevel.Handshake),
                (TlsOutputKind.WriteSecret, TlsEncryptionLevel.Application),
                (TlsOutputKind.ReadSecret, TlsEncryptionLevel.Application),
            ],
            pair.ClientOutputs.Select(o => (o.Kind, o.Level)));
    }

    [Fact]
    public void Run_OneByteChunks_Completes()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] }) { ChunkSize = 1 };
        pair.Run();

        AssertComplete(pair);
    }

    [Fact]
    public void Run_ServerPrefersItsOwnAlpnOrder_PicksServerFavourite()
    {
        using var pair = new TlsHandshakePair(PinnedClient() with { ApplicationProtocols = ["h3", "webtransport"] }, Server() with { ApplicationProtocols = ["webtransport", "h3"] });
        pair.Run();

        AssertComplete(pair);
        Assert.Equal("webtransport", pair.Client.NegotiatedApplicationProtocol);
    }

    [Fact]
    public void Start_ServerName_IsSentAsSni()
    {
        using var client = new TlsClientHandshake(PinnedClient() with { ServerName = "game.example" }, TlsHandshakePair.ClientTransportParameters());
        client.Start();
        Assert.True(client.TryDequeue(out TlsOutput output));

        Assert.Equal(TlsError.None, ClientHello.TryParse(output.Data, out ClientHello? hello, out string reason));
        Assert.True(reason.Length == 0, reason);
        Assert.Equal("game.example", hello!.ServerName);
        Assert.Empty(hello.LegacySessionId);
        Assert.Equal([TlsConstants.TlsAes128GcmSha256, TlsConstants.TlsAes256GcmSha384], hello.CipherSuites);
        Assert.Equal([TlsConstants.X25519, TlsConstants.Secp256r1], hello.SupportedGroups);
        Assert.Equal([TlsConstants.X25519], hello.KeyShares.Select(s => s.Group));
        Assert.Equal(["h3"], hello.ApplicationProtocols);
    }

    [Fact]
    public void Start_IpAddressServerName_SendsNoSni()
    {
        using var client = new TlsClientHandshake(PinnedClient() with { ServerName = "127.0.0.1" }, TlsHandshakePair.ClientTransportParameters());
        client.Start();
        Assert.True(client.TryDequeue(out TlsOutput output));

        Assert.Equal(TlsError.None, ClientHello.TryParse(output.Data, out ClientHello? hello, out _));
        Assert.Null(hello!.ServerName);
    }

    [Fact]
    public void Validate_CertificateWithoutPrivateKey_Throws()
    {
        using X509Certificate2 publicOnly = X509CertificateLoader.LoadCertificate(ecdsa.RawData);

        ArgumentException error = Assert.Throws<ArgumentException>(() => (Server() with { Certificate = publicOnly }).Validate());
        Assert.Contains("private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyAlpn_Throws()
    {
        Assert.Throws<ArgumentException>(() => (Server() with { ApplicationProtocols = [] }).Validate());
        Assert.Throws<ArgumentException>(() => (PinnedClient() with { ApplicationProtocols = [] }).Validate());
    }

    [Fact]
    public void Validate_UnsupportedGroupOrBadHash_Throws()
    {
        Assert.Throws<ArgumentException>(() => (Server() with { KeyExchangeGroups = [TlsConstants.Secp384r1] }).Validate());
        Assert.Throws<ArgumentException>(() => (PinnedClient() with { ServerCertificateHashes = [new byte[31]] }).Validate());
    }

    internal static void AssertComplete(TlsHandshakePair pair)
    {
        Assert.True(pair.ClientError == TlsError.None, pair.Client.FailureReason);
        Assert.True(pair.ServerError == TlsError.None, pair.Server.FailureReason);
        Assert.True(pair.Client.IsHandshakeComplete);
        Assert.True(pair.Server.IsHandshakeComplete);
        foreach (TlsEncryptionLevel level in new[] { TlsEncryptionLevel.Handshake, TlsEncryptionLevel.Application })
        {
            Assert.Equal(pair.Secret(pair.ClientOutputs, TlsOutputKind.WriteSecret, level), pair.Secret(pair.ServerOutputs, TlsOutputKind.ReadSecret, level));
            Assert.Equal(pair.Secret(pair.ServerOutputs, TlsOutputKind.WriteSecret, level), pair.Secret(pair.ClientOutputs, TlsOutputKind.ReadSecret, level));
            Assert.NotEqual(pair.Secret(pair.ClientOutputs, TlsOutputKind.WriteSecret, level), pair.Secret(pair.ClientOutputs, TlsOutputKind.ReadSecret, level));
        }
    }

    private TlsClientOptions PinnedClient() => new()
    {
        ApplicationProtocols = ["h3"],
        ServerCertificateHashes = [TlsTestCertificates.Sha256(ecdsa)],
    };

    private TlsServerOptions Server() => new() { Certificate = ecdsa, ApplicationProtocols = ["h3"] };
}
