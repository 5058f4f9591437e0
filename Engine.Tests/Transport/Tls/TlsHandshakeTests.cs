using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
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
        Assert.Equal(QuicCipherSuite.Aes128GcmSha256, pair.Client.CipherSuite);
        Assert.Equal("h3", pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal("h3", pair.Server.NegotiatedApplicationProtocol);
        Assert.Equal(100UL, pair.Server.PeerTransportParameters!.InitialMaxStreamsBidi);
        Assert.Equal(3UL, pair.Client.PeerTransportParameters!.InitialMaxStreamsUni);
        Assert.Equal([9, 9, 9, 9, 9, 9, 9, 9], pair.Client.PeerTransportParameters.OriginalDestinationConnectionId);
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
        Assert.Equal(2, pair.ClientOutputs.Count(o => o.Kind == TlsOutputKind.HandshakeData && o.Level == QuicPacketSpace.Initial));
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
    [InlineData((ushort)QuicCipherSuite.Aes128GcmSha256, 32)]
    [InlineData((ushort)QuicCipherSuite.Aes256GcmSha384, 48)]
    public void Run_ServerCipherSuite_BothSidesUseItWithSecretsOfItsHashLength(ushort suiteId, int secretLength)
    {
        var suite = (QuicCipherSuite)suiteId;
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
            PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1], CipherSuites = [QuicCipherSuite.Aes256GcmSha384] });
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
                (TlsOutputKind.HandshakeData, QuicPacketSpace.Initial),
                (TlsOutputKind.WriteSecret, QuicPacketSpace.Handshake),
                (TlsOutputKind.ReadSecret, QuicPacketSpace.Handshake),
                (TlsOutputKind.HandshakeData, QuicPacketSpace.Handshake),
                (TlsOutputKind.WriteSecret, QuicPacketSpace.ApplicationData),
                (TlsOutputKind.ReadSecret, QuicPacketSpace.ApplicationData),
            ],
            pair.ServerOutputs.Select(o => (o.Kind, o.Level)));
        Assert.Equal(
            [
                (TlsOutputKind.HandshakeData, QuicPacketSpace.Initial),
                (TlsOutputKind.ReadSecret, QuicPacketSpace.Handshake),
                (TlsOutputKind.WriteSecret, QuicPacketSpace.Handshake),
                (TlsOutputKind.HandshakeData, QuicPacketSpace.Handshake),
                (TlsOutputKind.WriteSecret, QuicPacketSpace.ApplicationData),
                (TlsOutputKind.ReadSecret, QuicPacketSpace.ApplicationData),
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
    public void Run_AlpnMismatch_ServerFailsWithNoApplicationProtocol()
    {
        using var pair = new TlsHandshakePair(PinnedClient() with { ApplicationProtocols = ["hq-interop"] }, Server());
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 120), pair.ServerError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.Contains("ALPN", pair.Server.FailureReason, StringComparison.Ordinal);
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
    public void Run_ClientHelloWithoutTransportParameters_ServerFailsWithMissingExtension()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => fromClient && level == QuicPacketSpace.Initial ? StripExtension(data, TlsExtensionType.QuicTransportParameters) : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)0x16d, pair.ServerError);
    }

    [Fact]
    public void Run_ClientTransportParametersWithServerOnlyField_ServerFailsWithTransportParameterError()
    {
        TransportParameters bad = TlsHandshakePair.ClientTransportParameters();
        bad = new TransportParameters { InitialMaxData = bad.InitialMaxData, OriginalDestinationConnectionId = [1] };
        using var pair = new TlsHandshakePair(PinnedClient(), Server(), bad);
        pair.Run();

        Assert.Equal(QuicTransportErrorCode.TransportParameterError, pair.ServerError);
    }

    [Fact]
    public void Run_TamperedCertificateVerify_ClientFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Handshake
                ? FlipInMessage(data, TlsHandshakeType.CertificateVerify, fromEnd: 5)
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 51), pair.ClientError);
    }

    [Fact]
    public void Run_TamperedServerFinished_ClientFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Handshake
                ? FlipInMessage(data, TlsHandshakeType.Finished, fromEnd: 1)
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 51), pair.ClientError);
        Assert.False(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void Run_TamperedClientFinished_ServerFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => fromClient && level == QuicPacketSpace.Handshake
                ? FlipInMessage(data, TlsHandshakeType.Finished, fromEnd: 1)
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 51), pair.ServerError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.True(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void ReceiveHandshakeData_AfterFailure_ReturnsTheSameError()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());
        QuicTransportErrorCode first = server.ReceiveHandshakeData(QuicPacketSpace.Handshake, [20, 0, 0, 1, 0]);

        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), first);
        Assert.Equal(first, server.ReceiveHandshakeData(QuicPacketSpace.Initial, [1]));
        Assert.NotNull(server.FailureReason);
    }

    [Fact]
    public void ReceiveHandshakeData_MessageLongerThanTheBuffer_FailsWithCryptoBufferExceeded()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());

        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, server.ReceiveHandshakeData(QuicPacketSpace.Initial, [1, 1, 0, 0]));
    }

    [Fact]
    public void ReceiveHandshakeData_MoreThanTheBuffer_FailsWithCryptoBufferExceeded()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());
        byte[] header = [1, 0, 0xff, 0xf0];

        Assert.Equal(QuicTransportErrorCode.NoError, server.ReceiveHandshakeData(QuicPacketSpace.Initial, header));
        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, server.ReceiveHandshakeData(QuicPacketSpace.Initial, new byte[TlsHandshake.MaxBufferedBytesPerLevel]));
    }

    [Fact]
    public void ReceiveHandshakeData_ClientHelloAtHandshakeLevel_FailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), pair.Server.ReceiveHandshakeData(QuicPacketSpace.Handshake, hello.Data));
    }

    [Fact]
    public void ReceiveHandshakeData_SecondClientHelloWithoutRetry_FailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal(QuicTransportErrorCode.NoError, pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
    }

    [Fact]
    public void Start_ServerName_IsSentAsSni()
    {
        using var client = new TlsClientHandshake(PinnedClient() with { ServerName = "game.example" }, TlsHandshakePair.ClientTransportParameters());
        client.Start();
        Assert.True(client.TryDequeue(out TlsOutput output));

        Assert.Equal(QuicTransportErrorCode.NoError, ClientHello.TryParse(output.Data, out ClientHello? hello, out string reason));
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

        Assert.Equal(QuicTransportErrorCode.NoError, ClientHello.TryParse(output.Data, out ClientHello? hello, out _));
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
        Assert.True(pair.ClientError == QuicTransportErrorCode.NoError, pair.Client.FailureReason);
        Assert.True(pair.ServerError == QuicTransportErrorCode.NoError, pair.Server.FailureReason);
        Assert.True(pair.Client.IsHandshakeComplete);
        Assert.True(pair.Server.IsHandshakeComplete);
        foreach (QuicPacketSpace level in new[] { QuicPacketSpace.Handshake, QuicPacketSpace.ApplicationData })
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

    /// <summary>Flips a bit <paramref name="fromEnd"/> bytes before the end of the first message of <paramref name="type"/>.</summary>
    internal static byte[] FlipInMessage(byte[] data, TlsHandshakeType type, int fromEnd)
    {
        byte[] copy = (byte[])data.Clone();
        int offset = 0;
        while (TlsHandshakeFraming.TrySplitMessage(copy.AsSpan(offset), out TlsHandshakeType found, out _, out int length))
        {
            if (found == type)
            {
                copy[offset + length - fromEnd] ^= 0x01;
                return copy;
            }

            offset += length;
        }

        return copy;
    }

    /// <summary>Removes one extension from a ClientHello, fixing the lengths.</summary>
    private static byte[] StripExtension(byte[] clientHello, TlsExtensionType type)
    {
        // header(4) version(2) random(32) session(1+n) suites(2+n) compression(1+n) extensions(2+n)
        int position = 4 + 2 + 32;
        position += 1 + clientHello[position];
        position += 2 + ((clientHello[position] << 8) | clientHello[position + 1]);
        position += 1 + clientHello[position];
        int extensionsStart = position + 2;
        var kept = new List<byte>();
        for (int p = extensionsStart; p < clientHello.Length;)
        {
            int extensionType = (clientHello[p] << 8) | clientHello[p + 1];
            int length = 4 + ((clientHello[p + 2] << 8) | clientHello[p + 3]);
            if (extensionType != (int)type)
            {
                kept.AddRange(clientHello.AsSpan(p, length));
            }

            p += length;
        }

        var result = new List<byte>(clientHello.AsSpan(4, extensionsStart - 2 - 4).ToArray());
        result.Add((byte)(kept.Count >> 8));
        result.Add((byte)kept.Count);
        result.AddRange(kept);
        return [(byte)TlsHandshakeType.ClientHello, (byte)(result.Count >> 16), (byte)(result.Count >> 8), (byte)result.Count, .. result];
    }
}
