using System.Security.Cryptography;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// One direction's packet protection keys at one encryption level (RFC 9001 §5): the AEAD
/// key and IV plus the header protection key, all derived from a TLS traffic secret. Protects
/// and unprotects whole packets in place in a caller's buffer without allocating.
/// Not thread-safe: one instance belongs to one connection's packet path.
/// </summary>
internal sealed class PacketProtection : IDisposable
{
    /// <summary>Largest packet number QUIC allows (RFC 9000 §12.3).</summary>
    public const long MaxPacketNumber = (1L << 62) - 1;

    private readonly byte[] _secret;
    private readonly byte[] _headerProtectionKey;
    private readonly HeaderProtection _header;
    private readonly PayloadProtection _payload;

    private PacketProtection(QuicCipherSuite cipherSuite, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> headerProtectionKey, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        CipherSuite = cipherSuite;
        _secret = secret.ToArray();
        _headerProtectionKey = headerProtectionKey.ToArray();
        _header = new HeaderProtection(headerProtectionKey);
        _payload = new PayloadProtection(key, iv);
    }

    public QuicCipherSuite CipherSuite { get; }

    /// <summary>Packets sealed with this key; compare with <see cref="QuicCipherSuites.AesGcmConfidentialityLimit"/>.</summary>
    public long PacketsProtected { get; private set; }

    /// <summary>Packets that failed authentication; compare with <see cref="QuicCipherSuites.AesGcmIntegrityLimit"/>.</summary>
    public long AuthenticationFailures { get; private set; }

    /// <summary>Derives key, IV and header protection key from a traffic secret and keeps them.</summary>
    public static PacketProtection FromSecret(QuicCipherSuite cipherSuite, ReadOnlySpan<byte> trafficSecret)
    {
        ValidateSecret(cipherSuite, trafficSecret);
        int keyLength = QuicCipherSuites.KeyLength(cipherSuite);
        Span<byte> key = stackalloc byte[keyLength];
        Span<byte> iv = stackalloc byte[QuicCipherSuites.IvLength];
        Span<byte> headerKey = stackalloc byte[keyLength];
        try
        {
            DeriveKeyMaterial(cipherSuite, trafficSecret, key, iv, headerKey);
            return new PacketProtection(cipherSuite, trafficSecret, headerKey, key, iv);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(headerKey);
        }
    }

    /// <summary>
    /// "quic key", "quic iv" and "quic hp" (RFC 9001 §5.1). Spans must have the suite's key
    /// length, 12 bytes and the key length.
    /// </summary>
    public static void DeriveKeyMaterial(QuicCipherSuite cipherSuite, ReadOnlySpan<byte> trafficSecret, Span<byte> key, Span<byte> iv, Span<byte> headerProtectionKey)
    {
        int keyLength = QuicCipherSuites.KeyLength(cipherSuite);
        if (key.Length != keyLength || headerProtectionKey.Length != keyLength || iv.Length != QuicCipherSuites.IvLength)
        {
            throw new ArgumentException("Key, IV or header protection key span has the wrong length for the cipher suite.");
        }

        HashAlgorithmName hash = QuicCipherSuites.Hash(cipherSuite);
        TlsHkdf.ExpandLabel(hash, trafficSecret, "quic key"u8, default, key);
        TlsHkdf.ExpandLabel(hash, trafficSecret, "quic iv"u8, default, iv);
        TlsHkdf.ExpandLabel(hash, trafficSecret, "quic hp"u8, default, headerProtectionKey);
    }

    /// <summary>The secret of the next key phase: HKDF-Expand-Label(secret, "quic ku", "", Hash.length) (RFC 9001 §6.1).</summary>
    public static void DeriveNextSecret(QuicCipherSuite cipherSuite, ReadOnlySpan<byte> currentSecret, Span<byte> nextSecret)
    {
        ValidateSecret(cipherSuite, currentSecret);
        if (nextSecret.Length != currentSecret.Length)
        {
            throw new ArgumentException("The next secret has the length of the current one.", nameof(nextSecret));
        }

        TlsHkdf.ExpandLabel(QuicCipherSuites.Hash(cipherSuite), currentSecret, "quic ku"u8, default, nextSecret);
    }

    /// <summary>
    /// Keys for the next key phase (RFC 9001 §6): new AEAD key and IV from the updated secret;
    /// the header protection key is not updated and carries over.
    /// </summary>
    public PacketProtection CreateNextKeyPhase()
    {
        int keyLength = QuicCipherSuites.KeyLength(CipherSuite);
        Span<byte> nextSecret = stackalloc byte[_secret.Length];
        Span<byte> key = stackalloc byte[keyLength];
        Span<byte> iv = stackalloc byte[QuicCipherSuites.IvLength];
        Span<byte> unusedHeaderKey = stackalloc byte[keyLength];
        try
        {
            DeriveNextSecret(CipherSuite, _secret, nextSecret);
            DeriveKeyMaterial(CipherSuite, nextSecret, key, iv, unusedHeaderKey);
            return new PacketProtection(CipherSuite, nextSecret, _headerProtectionKey, key, iv);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(nextSecret);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(unusedHeaderKey);
        }
    }

    /// <summary>
    /// Protects one packet in place. On entry <c>packet</c> holds the plain header (first byte
    /// with its packet number length bits set, the truncated packet number written at
    /// <paramref name="packetNumberOffset"/>, a long header's Length already counting the tag),
    /// then <paramref name="payloadLength"/> bytes of frames, then room for the 16-byte tag.
    /// Returns the protected packet's length. Throws if the payload is too short to sample:
    /// a sender pads, so that is a caller bug.
    /// </summary>
    public int Protect(Span<byte> packet, int packetNumberOffset, int payloadLength, long packetNumber)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(packetNumberOffset, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfNegative(packetNumber);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packetNumber, MaxPacketNumber);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(packetNumberOffset, packet.Length);
        int headerLength = packetNumberOffset + (packet[0] & 0x03) + 1;
        int packetLength = headerLength + payloadLength + QuicCipherSuites.TagLength;
        if (packetLength > packet.Length)
        {
            throw new ArgumentException("Buffer has no room for the payload and the tag.", nameof(packet));
        }

        Span<byte> protectedPacket = packet[..packetLength];
        if (!HeaderProtection.CanSample(packetLength, packetNumberOffset))
        {
            throw new ArgumentException("Payload too short to sample for header protection; pad it.", nameof(payloadLength));
        }

        _payload.Seal(protectedPacket, headerLength, payloadLength, packetNumber);
        _header.Apply(protectedPacket, packetNumberOffset);
        PacketsProtected++;
        return packetLength;
    }

    /// <summary>
    /// Removes header and payload protection in place. <paramref name="packet"/> is exactly one
    /// packet (a long header's Length decides where it ends); <paramref name="largestReceivedPacketNumber"/>
    /// is the largest packet number received so far in this space, or -1 for none. Returns false
    /// for a packet too short to sample or failing authentication; never throws for bad bytes.
    /// After false the buffer's contents are unspecified and the packet should be dropped.
    /// </summary>
    public bool TryUnprotect(Span<byte> packet, int packetNumberOffset, long largestReceivedPacketNumber, out UnprotectedPacket result)
    {
        result = default;
        if (!TryRemoveHeaderProtection(packet, packetNumberOffset, largestReceivedPacketNumber, out long packetNumber, out int packetNumberLength))
        {
            return false;
        }

        int headerLength = packetNumberOffset + packetNumberLength;
        if (!TryDecryptPayload(packet, headerLength, packetNumber, out int payloadLength))
        {
            return false;
        }

        result = new UnprotectedPacket(packetNumber, packetNumberLength, headerLength, payloadLength);
        return true;
    }

    /// <summary>
    /// First half of <see cref="TryUnprotect"/>: unmasks the first byte and packet number and
    /// decodes the full packet number. Split out so a 1-RTT receiver can read the key phase bit
    /// and pick the AEAD keys before decrypting (the header key is the same in every phase).
    /// </summary>
    public bool TryRemoveHeaderProtection(Span<byte> packet, int packetNumberOffset, long largestReceivedPacketNumber, out long packetNumber, out int packetNumberLength)
    {
        packetNumber = 0;
        if (!_header.TryRemove(packet, packetNumberOffset, out packetNumberLength))
        {
            return false;
        }

        uint truncated = 0;
        foreach (byte b in packet.Slice(packetNumberOffset, packetNumberLength))
        {
            truncated = (truncated << 8) | b;
        }

        packetNumber = QuicPacketNumber.Decode(largestReceivedPacketNumber, truncated, packetNumberLength);
        return true;
    }

    /// <summary>Second half of <see cref="TryUnprotect"/>: AEAD-opens the payload after the header in place.</summary>
    public bool TryDecryptPayload(Span<byte> packet, int headerLength, long packetNumber, out int payloadLength)
    {
        if (_payload.TryOpen(packet, headerLength, packetNumber, out payloadLength))
        {
            return true;
        }

        AuthenticationFailures++;
        return false;
    }

    public void Dispose()
    {
        _header.Dispose();
        _payload.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
        CryptographicOperations.ZeroMemory(_headerProtectionKey);
    }

    private static void ValidateSecret(QuicCipherSuite cipherSuite, ReadOnlySpan<byte> secret)
    {
        if (secret.Length != QuicCipherSuites.SecretLength(cipherSuite))
        {
            throw new ArgumentException("Traffic secret length differs from the cipher suite's hash length.", nameof(secret));
        }
    }
}
