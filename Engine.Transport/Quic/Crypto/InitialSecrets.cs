using System.Security.Cryptography;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// QUIC v1 Initial secrets (RFC 9001 §5.2): both directions' keys follow from the client's
/// first Destination Connection ID alone, with AES-128-GCM and SHA-256. They protect against
/// off-path tampering only; anyone who sees the DCID can read Initial packets.
/// </summary>
internal static class InitialSecrets
{
    /// <summary>Initial secrets use SHA-256 and AES-128-GCM regardless of what TLS negotiates.</summary>
    public const QuicCipherSuite CipherSuite = QuicCipherSuite.Aes128GcmSha256;

    public const int SecretLength = 32;

    /// <summary>initial_salt for QUIC version 1.</summary>
    public static ReadOnlySpan<byte> V1Salt =>
    [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
        0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ];

    /// <summary>Writes client_initial_secret and server_initial_secret (32 bytes each).</summary>
    public static void Derive(ReadOnlySpan<byte> destinationConnectionId, Span<byte> clientSecret, Span<byte> serverSecret)
    {
        if (clientSecret.Length != SecretLength || serverSecret.Length != SecretLength)
        {
            throw new ArgumentException("Initial secrets are 32 bytes.");
        }

        Span<byte> initialSecret = stackalloc byte[SecretLength];
        try
        {
            HKDF.Extract(HashAlgorithmName.SHA256, destinationConnectionId, V1Salt, initialSecret);
            TlsHkdf.ExpandLabel(HashAlgorithmName.SHA256, initialSecret, "client in"u8, default, clientSecret);
            TlsHkdf.ExpandLabel(HashAlgorithmName.SHA256, initialSecret, "server in"u8, default, serverSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(initialSecret);
        }
    }

    /// <summary>Keys for Initial packets the client sends (a client protects, a server unprotects with them).</summary>
    public static PacketProtection CreateClientProtection(ReadOnlySpan<byte> destinationConnectionId) =>
        Create(destinationConnectionId, client: true);

    /// <summary>Keys for Initial packets the server sends.</summary>
    public static PacketProtection CreateServerProtection(ReadOnlySpan<byte> destinationConnectionId) =>
        Create(destinationConnectionId, client: false);

    private static PacketProtection Create(ReadOnlySpan<byte> destinationConnectionId, bool client)
    {
        Span<byte> clientSecret = stackalloc byte[SecretLength];
        Span<byte> serverSecret = stackalloc byte[SecretLength];
        try
        {
            Derive(destinationConnectionId, clientSecret, serverSecret);
            return PacketProtection.FromSecret(CipherSuite, client ? clientSecret : serverSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(clientSecret);
            CryptographicOperations.ZeroMemory(serverSecret);
        }
    }
}
