using System.Buffers;
using System.Security.Cryptography;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// The Retry Integrity Tag of QUIC v1 (RFC 9001 §5.8): AES-128-GCM with a fixed key and nonce
/// over an empty plaintext, the associated data being the Retry pseudo-packet (the original
/// DCID, length-prefixed, followed by the Retry packet without its tag).
/// </summary>
internal static class RetryIntegrity
{
    public const int TagLength = 16;

    /// <summary>Pseudo-packets up to this size are built on the stack; larger ones in a pooled array.</summary>
    private const int StackPseudoPacketLimit = 512;

    private static ReadOnlySpan<byte> V1Key =>
    [
        0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
    ];

    private static ReadOnlySpan<byte> V1Nonce =>
    [
        0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
    ];

    // An AesGcm context is not safe for concurrent use; one per thread keeps Retry allocation-free.
    [ThreadStatic]
    private static AesGcm? t_aead;

    /// <summary>Computes the tag for <paramref name="retryPacketWithoutTag"/> into <paramref name="tag"/> (16 bytes).</summary>
    public static void ComputeTag(ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retryPacketWithoutTag, Span<byte> tag)
    {
        if (originalDestinationConnectionId.Length > byte.MaxValue)
        {
            throw new ArgumentException("Connection IDs are at most 255 bytes.", nameof(originalDestinationConnectionId));
        }

        if (tag.Length != TagLength)
        {
            throw new ArgumentException("The Retry Integrity Tag is 16 bytes.", nameof(tag));
        }

        int pseudoLength = 1 + originalDestinationConnectionId.Length + retryPacketWithoutTag.Length;
        byte[]? rented = null;
        Span<byte> pseudoPacket = pseudoLength <= StackPseudoPacketLimit
            ? stackalloc byte[StackPseudoPacketLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(pseudoLength));
        try
        {
            pseudoPacket[0] = (byte)originalDestinationConnectionId.Length;
            originalDestinationConnectionId.CopyTo(pseudoPacket[1..]);
            retryPacketWithoutTag.CopyTo(pseudoPacket[(1 + originalDestinationConnectionId.Length)..]);
            t_aead ??= new AesGcm(V1Key, TagLength);
            t_aead.Encrypt(V1Nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, pseudoPacket[..pseudoLength]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// True when the last 16 bytes of <paramref name="retryPacket"/> are the right tag for the
    /// rest of it and this client's original DCID. False, never an exception, for anything else.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> originalDestinationConnectionId, ReadOnlySpan<byte> retryPacket)
    {
        if (retryPacket.Length < TagLength || originalDestinationConnectionId.Length > byte.MaxValue)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[TagLength];
        ComputeTag(originalDestinationConnectionId, retryPacket[..^TagLength], expected);
        return CryptographicOperations.FixedTimeEquals(expected, retryPacket[^TagLength..]);
    }
}
