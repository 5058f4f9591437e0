using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// AEAD protection of a QUIC packet payload (RFC 9001 §5.3) with AES-GCM: the nonce is the
/// IV XOR the packet number, the associated data is the unprotected header, and the tag
/// follows the ciphertext. Encrypts and decrypts in place; allocates nothing per packet.
/// Not thread-safe: one instance belongs to one connection's packet path.
/// </summary>
internal sealed class PayloadProtection : IDisposable
{
    private readonly AesGcm _aead;
    private readonly byte[] _iv;

    public PayloadProtection(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        if (iv.Length != QuicCipherSuites.IvLength)
        {
            throw new ArgumentException("QUIC AEAD IVs are 12 bytes.", nameof(iv));
        }

        _aead = new AesGcm(key, QuicCipherSuites.TagLength);
        _iv = iv.ToArray();
    }

    /// <summary>Writes iv XOR the packet number (left-padded to the IV's length) into <paramref name="nonce"/>.</summary>
    public static void ComputeNonce(ReadOnlySpan<byte> iv, long packetNumber, Span<byte> nonce)
    {
        iv.CopyTo(nonce);
        Span<byte> low = nonce[(iv.Length - sizeof(long))..iv.Length];
        BinaryPrimitives.WriteInt64BigEndian(low, BinaryPrimitives.ReadInt64BigEndian(low) ^ packetNumber);
    }

    /// <summary>
    /// Encrypts <c>packet[headerLength..headerLength+plaintextLength]</c> in place and writes the
    /// tag right after it; the header (<c>packet[..headerLength]</c>) is the associated data.
    /// </summary>
    public void Seal(Span<byte> packet, int headerLength, int plaintextLength, long packetNumber)
    {
        Span<byte> nonce = stackalloc byte[QuicCipherSuites.IvLength];
        ComputeNonce(_iv, packetNumber, nonce);
        Span<byte> payload = packet.Slice(headerLength, plaintextLength);
        Span<byte> tag = packet.Slice(headerLength + plaintextLength, QuicCipherSuites.TagLength);
        _aead.Encrypt(nonce, payload, payload, tag, packet[..headerLength]);
    }

    /// <summary>
    /// Decrypts <c>packet[headerLength..^16]</c> in place against the trailing tag. Returns false
    /// when authentication fails (the payload bytes are then unspecified) or no tag fits.
    /// </summary>
    public bool TryOpen(Span<byte> packet, int headerLength, long packetNumber, out int plaintextLength)
    {
        plaintextLength = packet.Length - headerLength - QuicCipherSuites.TagLength;
        if (headerLength < 1 || plaintextLength < 0)
        {
            plaintextLength = 0;
            return false;
        }

        Span<byte> nonce = stackalloc byte[QuicCipherSuites.IvLength];
        ComputeNonce(_iv, packetNumber, nonce);
        Span<byte> payload = packet.Slice(headerLength, plaintextLength);
        Span<byte> tag = packet.Slice(headerLength + plaintextLength, QuicCipherSuites.TagLength);
        try
        {
            _aead.Decrypt(nonce, payload, tag, payload, packet[..headerLength]);
            return true;
        }
        catch (CryptographicException)
        {
            // AuthenticationTagMismatchException derives from it: a forged or corrupted packet.
            plaintextLength = 0;
            return false;
        }
    }

    public void Dispose() => _aead.Dispose();
}
