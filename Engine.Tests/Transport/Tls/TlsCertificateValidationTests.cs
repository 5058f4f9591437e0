using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>How the client judges the server's certificate: pinned hashes or an X.509 chain.</summary>
public class TlsCertificateValidationTests
{
    private static readonly TlsError BadCertificate = TlsError.FromAlert(TlsAlert.BadCertificate);
    private static readonly TlsError UnsupportedCertificate = TlsError.FromAlert(TlsAlert.UnsupportedCertificate);
    private static readonly TlsError CertificateExpired = TlsError.FromAlert(TlsAlert.CertificateExpired);
    private static readonly TlsError CertificateUnknown = TlsError.FromAlert(TlsAlert.CertificateUnknown);
    private static readonly TlsError UnknownCa = TlsError.FromAlert(TlsAlert.UnknownCa);

    [Fact]
    public void Run_PinnedHashMatches_Completes()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Pinned(certificate));
        pair.Run();

        TlsHandshakeTests.AssertComplete(pair);
    }

    [Fact]
    public void Run_PinnedHashAmongSeveral_Completes()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Pinned(certificate) with { ServerCertificateHashes = [new byte[32], TlsTestCertificates.Sha256(certificate)] });
        pair.Run();

        TlsHandshakeTests.AssertComplete(pair);
    }

    [Fact]
    public void Run_PinnedHashMismatch_FailsWithBadCertificate()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using X509Certificate2 other = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Pinned(other));
        pair.Run();

        Assert.Equal(BadCertificate, pair.ClientError);
        Assert.Contains("pinned", pair.Client.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PinnedCertificateValidFor20Days_FailsWithBadCertificate()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa(days: 20);
        using var pair = Pair(certificate, Pinned(certificate));
        pair.Run();

        Assert.Equal(BadCertificate, pair.ClientError);
        Assert.Contains("14", pair.Client.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PinnedCertificateOutsideValidity_FailsWithCertificateExpired()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Pinned(certificate) with { TimeProvider = new FixedTimeProvider(DateTimeOffset.UtcNow.AddDays(11)) });
        pair.Run();

        Assert.Equal(CertificateExpired, pair.ClientError);
    }

    [Fact]
    public void Run_PinnedRsaCertificate_FailsWithUnsupportedCertificate()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateRsa();
        using var pair = Pair(certificate, Pinned(certificate));
        pair.Run();

        Assert.Equal(UnsupportedCertificate, pair.ClientError);
    }

    [Fact]
    public void Run_RsaCertificateWithTrustedRoot_Completes()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateRsa();
        using var pair = Pair(certificate, Chained(certificate));
        pair.Run();

        TlsHandshakeTests.AssertComplete(pair);
    }

    [Fact]
    public void Run_EcdsaCertificateWithTrustedRoot_Completes()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Chained(certificate));
        pair.Run();

        TlsHandshakeTests.AssertComplete(pair);
    }

    [Fact]
    public void Run_LeafIssuedByIntermediate_CompletesWithChainSent()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        using X509Certificate2 root = CreateAuthority("CN=Test Root", rootKey, issuer: null, notBefore);
        using X509Certificate2 intermediate = CreateAuthority("CN=Test Intermediate", intermediateKey, root, notBefore);

        var leafRequest = new CertificateRequest($"CN={TlsTestCertificates.HostName}", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(TlsTestCertificates.HostName);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        using X509Certificate2 leafPublic = leafRequest.Create(intermediate, notBefore, notBefore.AddDays(10), [1, 2, 3, 4]);
        using X509Certificate2 leaf = leafPublic.CopyWithPrivateKey(leafKey);

        var server = new TlsServerOptions { Certificate = leaf, Chain = [intermediate], ApplicationProtocols = ["h3"] };
        using var pair = new TlsHandshakePair(Chained(root), server);
        pair.Run();
        TlsHandshakeTests.AssertComplete(pair);

        var withoutChain = server with { Chain = [] };
        using var missing = new TlsHandshakePair(Chained(root), withoutChain);
        missing.Run();
        Assert.Equal(UnknownCa, missing.ClientError);
    }

    [Fact]
    public void Run_HostNameMismatch_FailsWithCertificateUnknown()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Chained(certificate) with { ServerName = "other.example" });
        pair.Run();

        Assert.Equal(CertificateUnknown, pair.ClientError);
        Assert.Contains("other.example", pair.Client.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_UntrustedRoot_FailsWithUnknownCa()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using X509Certificate2 other = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Chained(other));
        pair.Run();

        Assert.Equal(UnknownCa, pair.ClientError);
    }

    [Fact]
    public void Run_ChainedCertificateExpired_FailsWithCertificateExpired()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, Chained(certificate) with { TimeProvider = new FixedTimeProvider(DateTimeOffset.UtcNow.AddDays(30)) });
        pair.Run();

        Assert.Equal(CertificateExpired, pair.ClientError);
    }

    [Fact]
    public void Run_SystemTrustForSelfSignedCertificate_Fails()
    {
        using X509Certificate2 certificate = TlsTestCertificates.CreateEcdsa();
        using var pair = Pair(certificate, new TlsClientOptions { ApplicationProtocols = ["h3"], ServerName = TlsTestCertificates.HostName });
        pair.Run();

        Assert.True(pair.ClientError.Kind == TlsErrorKind.Alert, pair.ClientError.ToString());
        Assert.False(pair.Client.IsHandshakeComplete);
    }

    private static TlsHandshakePair Pair(X509Certificate2 certificate, TlsClientOptions client) => TlsTestCertificates.Pair(certificate, client);

    private static TlsClientOptions Pinned(X509Certificate2 certificate) => TlsTestCertificates.Pinned(certificate);

    private static TlsClientOptions Chained(X509Certificate2 root) => new()
    {
        ApplicationProtocols = ["h3"],
        ServerName = TlsTestCertificates.HostName,
        TrustedRoots = [X509CertificateLoader.LoadCertificate(root.RawData)],
    };

    private static X509Certificate2 CreateAuthority(string subject, ECDsa key, X509Certificate2? issuer, DateTimeOffset notBefore)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notBefore.AddDays(30));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using X509Certificate2 issued = request.Create(issuer, notBefore, notBefore.AddDays(20), [5, 6, 7]);
        return issued.CopyWithPrivateKey(key);
    }
}
