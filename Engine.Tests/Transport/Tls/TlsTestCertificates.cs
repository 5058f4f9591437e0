using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Tests.Transport.Tls;

/// <summary>Self-signed certificates for handshake tests, made with <see cref="CertificateRequest"/>.</summary>
internal static class TlsTestCertificates
{
    public const string HostName = "game.example";

    /// <summary>An ECDSA P-256 certificate valid from an hour ago for <paramref name="days"/> days (minus that hour).</summary>
    public static X509Certificate2 CreateEcdsa(int days = 10, string hostName = HostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);
        return Finish(request, days, hostName);
    }

    /// <summary>An RSA 2048 certificate, as <see cref="CreateEcdsa"/>.</summary>
    public static X509Certificate2 CreateRsa(int days = 10, string hostName = HostName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Finish(request, days, hostName);
    }

    public static byte[] Sha256(X509Certificate2 certificate) => SHA256.HashData(certificate.RawData);

    private static X509Certificate2 Finish(CertificateRequest request, int days, string hostName)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        return request.CreateSelfSigned(notBefore, notBefore.AddDays(days));
    }
}
