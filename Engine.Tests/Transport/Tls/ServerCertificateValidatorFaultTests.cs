using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>Certificates that make chain building or host-name matching throw must be refused with bad_certificate.</summary>
public sealed class ServerCertificateValidatorFaultTests
{
    private static readonly TlsError BadCertificate = TlsError.FromAlert(TlsAlert.BadCertificate);

    [Fact]
    public void Validate_IpAddressEntryOfFiveBytes_FailsWithBadCertificate()
    {
        // OpenSSL builds the chain, but host-name matching throws on an iPAddress that is neither 4 nor 16 bytes.
        using X509Certificate2 certificate = CreateWithSubjectAlternativeName([0x30, 0x07, 0x87, 0x05, 10, 0, 0, 1, 5]);
        using X509Certificate2 root = X509CertificateLoader.LoadCertificate(certificate.RawData);
        var options = new TlsClientOptions { ApplicationProtocols = ["h3"], ServerName = TlsTestCertificates.HostName, TrustedRoots = [root] };

        TlsError error = ServerCertificateValidator.Validate(options, certificate, TlsSignatures.SchemeFor(certificate), [], out string reason);

        Assert.Equal(BadCertificate, error);
        Assert.Contains("CryptographicException", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CertificateThatMakesHostMatchingThrow_ClientAlertsBadCertificate()
    {
        using X509Certificate2 certificate = CreateWithSubjectAlternativeName([0x30, 0x07, 0x87, 0x05, 10, 0, 0, 1, 5]);
        var client = new TlsClientOptions
        {
            ApplicationProtocols = ["h3"],
            ServerName = TlsTestCertificates.HostName,
            TrustedRoots = [X509CertificateLoader.LoadCertificate(certificate.RawData)],
        };
        using var pair = new TlsHandshakePair(client, new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] });

        pair.Run();

        Assert.Equal(BadCertificate, pair.ClientError);
    }

    [Theory]
    [InlineData(typeof(CryptographicException))]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(FormatException))]
    [InlineData(typeof(InvalidOperationException))]
    public void RejectFault_AnyValidationException_MapsToBadCertificate(Type exceptionType)
    {
        var exception = (Exception)Activator.CreateInstance(exceptionType, "broken")!;

        TlsError error = ServerCertificateValidator.RejectFault(exception, out string reason);

        Assert.Equal(BadCertificate, error);
        Assert.Contains("broken", reason, StringComparison.Ordinal);
    }

    private static X509Certificate2 CreateWithSubjectAlternativeName(byte[] rawExtension)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={TlsTestCertificates.HostName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(new Oid("2.5.29.17"), rawExtension, critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        return request.CreateSelfSigned(notBefore, notBefore.AddDays(10));
    }
}
