using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Engine.Hosting;

namespace Engine.Tests.Hosting;

public class CertificateHashesTests
{
    [Fact]
    public void Compute_GeneratedCertificate_MatchesIndependentDerComputation()
    {
        using X509Certificate2 certificate = DevelopmentCertificate.Create(DateTimeOffset.UtcNow);
        byte[] der = certificate.Export(X509ContentType.Cert);

        CertificateHashes hashes = CertificateHashes.Compute(certificate);

        string expectedSha256 = string.Concat(SHA256.HashData(der).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        string expectedSpki = Convert.ToBase64String(SHA256.HashData(SubjectPublicKeyInfoOf(der)));
        Assert.Equal(expectedSha256, hashes.Sha256);
        Assert.Equal(64, hashes.Sha256.Length);
        Assert.Equal(expectedSpki, hashes.SpkiSha256);
    }

    [Fact]
    public void Compute_Serialized_HasCertHashEndpointShape()
    {
        var hashes = new CertificateHashes("ab01", "c2Bp");

        string json = JsonSerializer.Serialize(hashes);

        Assert.Equal("""{"sha256":"ab01","spkiSha256":"c2Bp"}""", json);
    }

    /// <summary>Walks Certificate → TBSCertificate to the seventh field, SubjectPublicKeyInfo (RFC 5280 §4.1).</summary>
    private static byte[] SubjectPublicKeyInfoOf(byte[] certificateDer)
    {
        AsnReader certificate = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence();
        AsnReader tbs = certificate.ReadSequence();
        tbs.ReadEncodedValue(); // [0] version
        tbs.ReadEncodedValue(); // serialNumber
        tbs.ReadEncodedValue(); // signature algorithm
        tbs.ReadEncodedValue(); // issuer
        tbs.ReadEncodedValue(); // validity
        tbs.ReadEncodedValue(); // subject
        return tbs.ReadEncodedValue().ToArray();
    }
}
