using System.Security.Cryptography;

namespace Engine.Transport.Tls;

/// <summary>
/// The TLS 1.3 cipher suites this handshake negotiates, valued by their IANA code points
/// (RFC 8446 §B.4). TLS_CHACHA20_POLY1305_SHA256 is not offered: QUIC could not protect packets
/// with it here (its header protection needs the raw ChaCha20 block function).
/// </summary>
internal enum TlsCipherSuite : ushort
{
    Aes128GcmSha256 = 0x1301,
    Aes256GcmSha384 = 0x1302,
}

/// <summary>What the handshake needs to know about a <see cref="TlsCipherSuite"/>: whether it is supported and its hash.</summary>
internal static class TlsCipherSuites
{
    public static bool IsSupported(TlsCipherSuite suite) =>
        suite is TlsCipherSuite.Aes128GcmSha256 or TlsCipherSuite.Aes256GcmSha384;

    /// <summary>The hash of the suite's key schedule and transcript.</summary>
    public static HashAlgorithmName Hash(TlsCipherSuite suite) => suite switch
    {
        TlsCipherSuite.Aes128GcmSha256 => HashAlgorithmName.SHA256,
        TlsCipherSuite.Aes256GcmSha384 => HashAlgorithmName.SHA384,
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "Unsupported TLS cipher suite."),
    };
}

/// <summary>
/// The encryption levels TLS hands data and secrets at (RFC 9001 §4.1.3), named by TLS rather
/// than by the transport; QUIC maps each to its packet number space. No 0-RTT level: early data
/// is not supported.
/// </summary>
internal enum TlsEncryptionLevel : byte
{
    Initial = 0,
    Handshake = 1,
    Application = 2,
}
