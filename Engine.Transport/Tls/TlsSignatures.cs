using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Transport.Tls;

/// <summary>
/// The signature schemes this stack signs and verifies (RFC 8446 §4.2.3) and the content a
/// server's CertificateVerify signs (§4.4.3).
/// </summary>
internal static class TlsSignatures
{
    public const ushort EcdsaSecp256r1Sha256 = 0x0403;
    public const ushort RsaPssRsaeSha256 = 0x0804;

    /// <summary>What our client offers in signature_algorithms.</summary>
    public static readonly ushort[] Supported = [EcdsaSecp256r1Sha256, RsaPssRsaeSha256];

    private const string NistP256Oid = "1.2.840.10045.3.1.7";

    /// <summary>The minimum RSA modulus we sign or verify with.</summary>
    private const int MinimumRsaKeySize = 2048;

    private static ReadOnlySpan<byte> ServerContext => "TLS 1.3, server CertificateVerify"u8;

    /// <summary>
    /// The scheme matching <paramref name="certificate"/>'s public key: ecdsa_secp256r1_sha256 for
    /// a P-256 key, rsa_pss_rsae_sha256 for RSA of at least 2048 bits; null for anything else.
    /// Never throws, even for a peer's odd certificate.
    /// </summary>
    public static ushort? SchemeFor(X509Certificate2 certificate)
    {
        try
        {
            using ECDsa? ecdsa = certificate.GetECDsaPublicKey();
            if (ecdsa is not null)
            {
                return IsP256(ecdsa) ? EcdsaSecp256r1Sha256 : null;
            }

            using RSA? rsa = certificate.GetRSAPublicKey();
            return rsa is not null && rsa.KeySize >= MinimumRsaKeySize ? RsaPssRsaeSha256 : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>64 spaces, the server context string, a zero byte, then the transcript hash.</summary>
    public static byte[] ServerSignedContent(ReadOnlySpan<byte> transcriptHash)
    {
        var content = new byte[64 + ServerContext.Length + 1 + transcriptHash.Length];
        content.AsSpan(0, 64).Fill(0x20);
        ServerContext.CopyTo(content.AsSpan(64));
        transcriptHash.CopyTo(content.AsSpan(64 + ServerContext.Length + 1));
        return content;
    }

    /// <summary>Signs with <paramref name="certificate"/>'s private key (validated by the options).</summary>
    public static byte[] Sign(X509Certificate2 certificate, ushort scheme, byte[] content)
    {
        if (scheme == EcdsaSecp256r1Sha256)
        {
            using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("Certificate has no ECDSA private key.");
            return key.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        using RSA rsa = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("Certificate has no RSA private key.");
        return rsa.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss); // salt = hash length
    }

    /// <summary>
    /// Checks a peer's signature; false for a wrong key type or bad signature. Never throws. The
    /// caller has already checked that <paramref name="scheme"/> is <see cref="SchemeFor"/> of the
    /// certificate (key curve and size), so that is not computed again here.
    /// </summary>
    public static bool Verify(X509Certificate2 certificate, ushort scheme, byte[] content, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (scheme == EcdsaSecp256r1Sha256)
            {
                using ECDsa? key = certificate.GetECDsaPublicKey();
                return key is not null && key.VerifyData(content, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            }

            using RSA? rsa = certificate.GetRSAPublicKey();
            return rsa is not null && rsa.VerifyData(content, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool IsP256(ECDsa key)
    {
        ECCurve curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed
            && (curve.Oid.Value == NistP256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1");
    }
}
