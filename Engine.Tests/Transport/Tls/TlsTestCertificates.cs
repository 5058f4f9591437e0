using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

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

    /// <summary>Client options (ALPN h3) pinning <paramref name="certificate"/> by its SHA-256 hash.</summary>
    public static TlsClientOptions Pinned(X509Certificate2 certificate) => new()
    {
        ApplicationProtocols = ["h3"],
        ServerCertificateHashes = [Sha256(certificate)],
    };

    /// <summary>A handshake pair whose server (ALPN h3) presents <paramref name="certificate"/>.</summary>
    public static TlsHandshakePair Pair(X509Certificate2 certificate, TlsClientOptions client) =>
        new(client, new TlsServerOptions { Certificate = certificate, ApplicationProtocols = ["h3"] });

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
