using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>A renewed certificate reaches new handshakes without restarting the endpoint.</summary>
public sealed class EndpointServerOptionsTests
{
    [Fact]
    public void UpdateServerOptions_RenewedCertificate_NewHandshakesPresentIt()
    {
        using X509Certificate2 renewed = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        using var pair = new QuicTestPair(seed: 3);
        pair.ServerEndpoint.UpdateServerOptions(new QuicServerOptions
        {
            Tls = new TlsServerOptions { Certificate = renewed, ApplicationProtocols = ["h3"] },
        });
        pair.ClientOptions = pair.ClientOptions with
        {
            Tls = pair.ClientOptions.Tls with { ServerCertificateHashes = [SHA256.HashData(renewed.RawData)] },
        };

        Assert.True(pair.ConnectAndHandshake(), $"client {pair.Client?.CloseInfo}");
    }

    [Fact]
    public void UpdateServerOptions_OldPinAfterRenewal_HandshakeFailsWithBadCertificate()
    {
        using X509Certificate2 renewed = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10));
        using var pair = new QuicTestPair(seed: 4);
        pair.ServerEndpoint.UpdateServerOptions(new QuicServerOptions
        {
            Tls = new TlsServerOptions { Certificate = renewed, ApplicationProtocols = ["h3"] },
        });

        Assert.False(pair.ConnectAndHandshake(maxSteps: 5_000));
        Assert.Equal(0x100UL + 42, pair.Client!.CloseInfo!.ErrorCode); // bad_certificate: the old pin no longer matches
    }
}
