using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;

namespace Engine.Hosting;

/// <summary>
/// The fingerprints a browser needs to trust a self-signed certificate: <see cref="Sha256"/> for
/// WebTransport's <c>serverCertificateHashes</c>, <see cref="SpkiSha256"/> for Chrome's
/// <c>--ignore-certificate-errors-spki-list</c>. Serialises as
/// <c>{"sha256":"…","spkiSha256":"…"}</c> (the <c>GET /cert-hash</c> body).
/// </summary>
/// <param name="Sha256">Lowercase hex SHA-256 of the DER-encoded certificate.</param>
/// <param name="SpkiSha256">Base64 SHA-256 of the DER-encoded SubjectPublicKeyInfo.</param>
public sealed record CertificateHashes(
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("spkiSha256")] string SpkiSha256)
{
    /// <summary>Computes both hashes of <paramref name="certificate"/>.</summary>
    public static CertificateHashes Compute(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string certificateHash = Convert.ToHexStringLower(SHA256.HashData(certificate.RawDataMemory.Span));
        byte[] subjectPublicKeyInfo = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        string spkiHash = Convert.ToBase64String(SHA256.HashData(subjectPublicKeyInfo));
        return new CertificateHashes(certificateHash, spkiHash);
    }
}
