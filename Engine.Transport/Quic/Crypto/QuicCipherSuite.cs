using System.Security.Cryptography;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// TLS 1.3 cipher suites usable for QUIC packet protection, valued by their IANA code points.
/// TLS_CHACHA20_POLY1305_SHA256 (0x1303) is absent: its header protection needs the raw
/// ChaCha20 block function, which System.Security.Cryptography does not expose.
/// </summary>
internal enum QuicCipherSuite : ushort
{
    Aes128GcmSha256 = 0x1301,
    Aes256GcmSha384 = 0x1302,
}

/// <summary>Per-suite sizes, hash and AEAD usage limits (RFC 9001 §5.1, §6.6).</summary>
internal static class QuicCipherSuites
{
    /// <summary>AES-GCM nonce and QUIC IV length in bytes.</summary>
    public const int IvLength = 12;

    /// <summary>AEAD authentication tag length in bytes (AEAD_AES_*_GCM).</summary>
    public const int TagLength = 16;

    /// <summary>
    /// RFC 9001 §6.6: at most 2^23 packets may be protected with one AES-GCM key; an endpoint
    /// must update keys (or close) before reaching it.
    /// </summary>
    public const long AesGcmConfidentialityLimit = 1L << 23;

    /// <summary>
    /// RFC 9001 §6.6: after 2^52 packets that fail authentication under one AES-GCM key the
    /// connection must be closed (AEAD_LIMIT_REACHED).
    /// </summary>
    public const long AesGcmIntegrityLimit = 1L << 52;

    public static bool IsSupported(QuicCipherSuite suite) =>
        suite is QuicCipherSuite.Aes128GcmSha256 or QuicCipherSuite.Aes256GcmSha384;

    /// <summary>AEAD key length, also the header protection key length for AES suites.</summary>
    public static int KeyLength(QuicCipherSuite suite) => suite switch
    {
        QuicCipherSuite.Aes128GcmSha256 => 16,
        QuicCipherSuite.Aes256GcmSha384 => 32,
        _ => throw Unsupported(suite),
    };

    public static HashAlgorithmName Hash(QuicCipherSuite suite) => suite switch
    {
        QuicCipherSuite.Aes128GcmSha256 => HashAlgorithmName.SHA256,
        QuicCipherSuite.Aes256GcmSha384 => HashAlgorithmName.SHA384,
        _ => throw Unsupported(suite),
    };

    /// <summary>Traffic secret length: the output size of the suite's hash.</summary>
    public static int SecretLength(QuicCipherSuite suite) => suite switch
    {
        QuicCipherSuite.Aes128GcmSha256 => 32,
        QuicCipherSuite.Aes256GcmSha384 => 48,
        _ => throw Unsupported(suite),
    };

    private static ArgumentOutOfRangeException Unsupported(QuicCipherSuite suite) =>
        new(nameof(suite), suite, "Unsupported QUIC cipher suite.");
}
