using System.Security.Cryptography.X509Certificates;
using Engine.Tests.Transport.Tls;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic;

/// <summary>
/// The QUIC side of TLS: transport parameters parsed when TLS reads them (TRANSPORT_PARAMETER_ERROR
/// from either peer, missing_extension without them), and TLS levels, suites and failures in QUIC's terms.
/// </summary>
public sealed class TlsAdapterTests : IDisposable
{
    private readonly X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();

    public void Dispose() => certificate.Dispose();

    [Fact]
    public void Run_ValidParameters_EachSideSeesThePeersParsed()
    {
        using var client = new TlsAdapter(Client(), ClientParameters());
        using var server = new TlsAdapter(Server(), ServerParameters());
        Assert.Null(server.PeerTransportParameters);

        (QuicTransportErrorCode clientError, QuicTransportErrorCode serverError) = Run(client, server);

        Assert.Equal(QuicTransportErrorCode.NoError, clientError);
        Assert.Equal(QuicTransportErrorCode.NoError, serverError);
        Assert.True(client.IsHandshakeComplete && server.IsHandshakeComplete);
        Assert.Equal(100UL, server.PeerTransportParameters!.InitialMaxStreamsBidi);
        Assert.Equal([1, 2, 3, 4], server.PeerTransportParameters.InitialSourceConnectionId);
        Assert.Equal(3UL, client.PeerTransportParameters!.InitialMaxStreamsUni);
        Assert.Equal([9, 9, 9, 9, 9, 9, 9, 9], client.PeerTransportParameters.OriginalDestinationConnectionId);
        Assert.Equal("h3", client.NegotiatedApplicationProtocol);
    }

    [Fact]
    public void ReceiveHandshakeData_ClientParametersWithServerOnlyField_TransportParameterErrorAndNoServerHello()
    {
        var bad = new TransportParameters { InitialMaxData = 1 << 20, InitialSourceConnectionId = [1], OriginalDestinationConnectionId = [1] };
        using var client = new TlsAdapter(Client(), bad);
        using var server = new TlsAdapter(Server(), ServerParameters());

        (_, QuicTransportErrorCode serverError) = Run(client, server);

        Assert.Equal(QuicTransportErrorCode.TransportParameterError, serverError);
        Assert.Contains("server-only", server.FailureReason, StringComparison.Ordinal);
        Assert.StartsWith("quic_transport_parameters: ", server.FailureReason, StringComparison.Ordinal);
        Assert.False(server.TryDequeue(out _));
        Assert.Null(server.PeerTransportParameters);
    }

    [Fact]
    public void ReceiveHandshakeData_InvalidServerParameters_ClientFailsWithTransportParameterError()
    {
        using var client = new TlsAdapter(Client(), ClientParameters());
        using var server = new TlsAdapter(Server(), new TransportParameters { MaxUdpPayloadSize = 1000, InitialSourceConnectionId = [5] });

        (QuicTransportErrorCode clientError, _) = Run(client, server);

        Assert.Equal(QuicTransportErrorCode.TransportParameterError, clientError);
        Assert.Contains("max_udp_payload_size", client.FailureReason, StringComparison.Ordinal);
        Assert.False(client.IsHandshakeComplete);
        Assert.Null(client.PeerTransportParameters);
    }

    [Fact]
    public void ReceiveHandshakeData_ClientHelloWithoutTransportParameters_CryptoErrorMissingExtension()
    {
        using var client = new TlsAdapter(Client(), ClientParameters());
        using var server = new TlsAdapter(Server(), ServerParameters());
        client.Start();
        Assert.True(client.TryDequeue(out TlsOutput hello));

        byte[] stripped = TlsHandshakeFailureTests.StripExtension(hello.Data, TlsExtensionType.QuicTransportParameters);

        Assert.Equal((QuicTransportErrorCode)0x16d, server.ReceiveHandshakeData(QuicPacketSpace.Initial, stripped));
    }

    [Fact]
    public void ReceiveHandshakeData_AfterHelloRetryRequest_PeerParametersWaitForTheSecondClientHello()
    {
        using var client = new TlsAdapter(Client(), ClientParameters());
        using var server = new TlsAdapter(Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] }, ServerParameters());
        client.Start();
        Assert.True(client.TryDequeue(out TlsOutput hello));

        Assert.Equal(QuicTransportErrorCode.NoError, server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));

        Assert.True(server.Handshake.UsedHelloRetryRequest);
        Assert.Null(server.PeerTransportParameters);
    }

    [Fact]
    public void ReceiveHandshakeData_AlertAndBufferLimit_MapToCryptoErrorAndCryptoBufferExceeded()
    {
        using var server = new TlsAdapter(Server(), ServerParameters());
        Assert.Equal(QuicTransportErrors.CryptoError((byte)TlsAlert.UnexpectedMessage), server.ReceiveHandshakeData(QuicPacketSpace.Handshake, [20, 0, 0, 1, 0]));

        using var other = new TlsAdapter(Server(), ServerParameters());
        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, other.ReceiveHandshakeData(QuicPacketSpace.Initial, [1, 1, 0, 0]));
    }

    [Fact]
    public void ToTransportError_EveryKind_MapsToItsQuicCode()
    {
        Assert.Equal(QuicTransportErrorCode.NoError, TlsAdapter.ToTransportError(TlsError.None));
        Assert.Equal((QuicTransportErrorCode)0x178, TlsAdapter.ToTransportError(TlsError.FromAlert(TlsAlert.NoApplicationProtocol)));
        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, TlsAdapter.ToTransportError(TlsError.BufferLimitExceeded));
        Assert.Equal(QuicTransportErrorCode.TransportParameterError, TlsAdapter.ToTransportError(TlsError.TransportParametersRejected));
    }

    [Fact]
    public void LevelsAndSuites_MapOneToOne()
    {
        foreach (QuicPacketSpace space in Enum.GetValues<QuicPacketSpace>())
        {
            Assert.Equal(space, TlsAdapter.ToSpace(TlsAdapter.ToLevel(space)));
        }

        Assert.Equal(QuicCipherSuite.Aes128GcmSha256, TlsAdapter.ToPacketSuite(TlsCipherSuite.Aes128GcmSha256));
        Assert.Equal(QuicCipherSuite.Aes256GcmSha384, TlsAdapter.ToPacketSuite(TlsCipherSuite.Aes256GcmSha384));
    }

    /// <summary>Starts the client and moves handshake data both ways until both go quiet or one fails.</summary>
    private static (QuicTransportErrorCode Client, QuicTransportErrorCode Server) Run(TlsAdapter client, TlsAdapter server)
    {
        client.Start();
        QuicTransportErrorCode clientError = QuicTransportErrorCode.NoError;
        QuicTransportErrorCode serverError = QuicTransportErrorCode.NoError;
        bool moved = true;
        while (moved && clientError == QuicTransportErrorCode.NoError && serverError == QuicTransportErrorCode.NoError)
        {
            moved = false;
            while (serverError == QuicTransportErrorCode.NoError && client.TryDequeue(out TlsOutput output))
            {
                moved = true;
                if (output.Kind == TlsOutputKind.HandshakeData)
                {
                    serverError = server.ReceiveHandshakeData(TlsAdapter.ToSpace(output.Level), output.Data);
                }
            }

            while (serverError == QuicTransportErrorCode.NoError && clientError == QuicTransportErrorCode.NoError && server.TryDequeue(out TlsOutput output))
            {
                moved = true;
                if (output.Kind == TlsOutputKind.HandshakeData)
                {
                    clientError = client.ReceiveHandshakeData(TlsAdapter.ToSpace(output.Level), output.Data);
                }
            }
        }

        return (clientError, serverError);
    }

    private static TransportParameters ClientParameters() => new()
    {
        InitialMaxData = 1 << 20,
        InitialMaxStreamsBidi = 100,
        InitialSourceConnectionId = [1, 2, 3, 4],
    };

    private static TransportParameters ServerParameters() => new()
    {
        InitialMaxData = 1 << 20,
        InitialMaxStreamsUni = 3,
        OriginalDestinationConnectionId = [9, 9, 9, 9, 9, 9, 9, 9],
        InitialSourceConnectionId = [5, 6, 7, 8],
    };

    private TlsClientOptions Client() => TlsTestCertificates.Pinned(certificate);

    private TlsServerOptions Server() => new() { Certificate = certificate, ApplicationProtocols = ["h3"] };
}
