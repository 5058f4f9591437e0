using System.Security.Cryptography;

namespace Engine.Transport.Tls;

/// <summary>
/// The TLS 1.3 key schedule (RFC 8446 §7.1) without PSKs: early secret, handshake secret,
/// master secret and the traffic secrets derived from them, plus the Finished MAC (§4.4.4).
/// One instance per connection; the steps must be taken in order.
/// </summary>
internal sealed class TlsKeySchedule
{
    private byte[]? handshakeSecret;
    private byte[]? masterSecret;

    /// <summary>Starts a schedule for the given hash; computes the early secret (no PSK).</summary>
    public TlsKeySchedule(HashAlgorithmName hash)
    {
        HashLength = GetHashLength(hash);
        Hash = hash;
        EarlySecret = HKDF.Extract(hash, new byte[HashLength], new byte[HashLength]);
    }

    /// <summary>The hash of the negotiated cipher suite.</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>Hash.length in RFC 8446: 32 for SHA-256, 48 for SHA-384.</summary>
    public int HashLength { get; }

    /// <summary>HKDF-Extract(0, 0): the early secret when no PSK is in use.</summary>
    public byte[] EarlySecret { get; }

    /// <summary>The handshake secret; set by <see cref="DeriveHandshakeSecret"/>.</summary>
    public byte[] HandshakeSecret => handshakeSecret ?? throw new InvalidOperationException("Handshake secret not derived yet.");

    /// <summary>The master secret; set by <see cref="DeriveHandshakeSecret"/>.</summary>
    public byte[] MasterSecret => masterSecret ?? throw new InvalidOperationException("Master secret not derived yet.");

    /// <summary>The schedule for a TLS 1.3 cipher suite (TLS_AES_128_GCM_SHA256 or TLS_AES_256_GCM_SHA384).</summary>
    public static TlsKeySchedule ForCipherSuite(ushort cipherSuite) => new(GetHash(cipherSuite));

    /// <summary>The hash a TLS 1.3 cipher suite uses.</summary>
    public static HashAlgorithmName GetHash(ushort cipherSuite) => cipherSuite switch
    {
        TlsConstants.TlsAes128GcmSha256 or TlsConstants.TlsChaCha20Poly1305Sha256 => HashAlgorithmName.SHA256,
        TlsConstants.TlsAes256GcmSha384 => HashAlgorithmName.SHA384,
        _ => throw new ArgumentOutOfRangeException(nameof(cipherSuite), cipherSuite, "Not a supported TLS 1.3 cipher suite."),
    };

    /// <summary>Hash.length for SHA-256 and SHA-384.</summary>
    public static int GetHashLength(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA256)
        {
            return 32;
        }

        if (hash == HashAlgorithmName.SHA384)
        {
            return 48;
        }

        throw new ArgumentOutOfRangeException(nameof(hash), hash, "TLS 1.3 key schedule supports SHA-256 and SHA-384.");
    }

    /// <summary>
    /// Derive-Secret(secret, label, messages) = HKDF-Expand-Label(secret, label, Transcript-Hash(messages), Hash.length),
    /// with the transcript hash already computed. <paramref name="label"/> has no "tls13 " prefix.
    /// </summary>
    public static byte[] DeriveSecret(HashAlgorithmName hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, ReadOnlySpan<byte> transcriptHash)
    {
        var output = new byte[GetHashLength(hash)];
        TlsHkdf.ExpandLabel(hash, secret, label, transcriptHash, output);
        return output;
    }

    /// <summary>Derive-Secret(secret, "derived", "") — the salt for the next HKDF-Extract.</summary>
    public static byte[] DeriveEmptySalt(HashAlgorithmName hash, ReadOnlySpan<byte> secret)
    {
        Span<byte> emptyHash = stackalloc byte[GetHashLength(hash)];
        HashEmpty(hash, emptyHash);
        return DeriveSecret(hash, secret, "derived"u8, emptyHash);
    }

    /// <summary>
    /// Handshake secret = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE shared secret),
    /// and from it the master secret = HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0).
    /// </summary>
    public void DeriveHandshakeSecret(ReadOnlySpan<byte> sharedSecret)
    {
        if (handshakeSecret is not null)
        {
            throw new InvalidOperationException("Handshake secret already derived.");
        }

        byte[] salt = DeriveEmptySalt(Hash, EarlySecret);
        byte[] inputKey = sharedSecret.ToArray();
        try
        {
            handshakeSecret = HKDF.Extract(Hash, inputKey, salt);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(inputKey);
            CryptographicOperations.ZeroMemory(salt);
        }

        byte[] masterSalt = DeriveEmptySalt(Hash, handshakeSecret);
        masterSecret = HKDF.Extract(Hash, new byte[HashLength], masterSalt);
        CryptographicOperations.ZeroMemory(masterSalt);
    }

    /// <summary>Wipes the early, handshake and master secrets; the schedule is unusable afterwards.</summary>
    public void ZeroSecrets()
    {
        CryptographicOperations.ZeroMemory(EarlySecret);
        CryptographicOperations.ZeroMemory(handshakeSecret);
        CryptographicOperations.ZeroMemory(masterSecret);
    }

    /// <summary>"c hs traffic" over Transcript-Hash(ClientHello..ServerHello).</summary>
    public byte[] ClientHandshakeTrafficSecret(ReadOnlySpan<byte> transcriptHash) =>
        DeriveSecret(Hash, HandshakeSecret, "c hs traffic"u8, CheckHash(transcriptHash));

    /// <summary>"s hs traffic" over Transcript-Hash(ClientHello..ServerHello).</summary>
    public byte[] ServerHandshakeTrafficSecret(ReadOnlySpan<byte> transcriptHash) =>
        DeriveSecret(Hash, HandshakeSecret, "s hs traffic"u8, CheckHash(transcriptHash));

    /// <summary>"c ap traffic" over Transcript-Hash(ClientHello..server Finished).</summary>
    public byte[] ClientApplicationTrafficSecret(ReadOnlySpan<byte> transcriptHash) =>
        DeriveSecret(Hash, MasterSecret, "c ap traffic"u8, CheckHash(transcriptHash));

    /// <summary>"s ap traffic" over Transcript-Hash(ClientHello..server Finished).</summary>
    public byte[] ServerApplicationTrafficSecret(ReadOnlySpan<byte> transcriptHash) =>
        DeriveSecret(Hash, MasterSecret, "s ap traffic"u8, CheckHash(transcriptHash));

    /// <summary>finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).</summary>
    public static byte[] FinishedKey(HashAlgorithmName hash, ReadOnlySpan<byte> baseKey)
    {
        var output = new byte[GetHashLength(hash)];
        TlsHkdf.ExpandLabel(hash, baseKey, "finished"u8, [], output);
        return output;
    }

    /// <summary>
    /// verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*)).
    /// <paramref name="baseKey"/> is the sender's handshake traffic secret.
    /// </summary>
    public static byte[] ComputeFinishedVerifyData(HashAlgorithmName hash, ReadOnlySpan<byte> baseKey, ReadOnlySpan<byte> transcriptHash)
    {
        byte[] finishedKey = FinishedKey(hash, baseKey);
        try
        {
            return hash == HashAlgorithmName.SHA384
                ? HMACSHA384.HashData(finishedKey, transcriptHash)
                : HMACSHA256.HashData(finishedKey, transcriptHash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(finishedKey);
        }
    }

    /// <summary>Checks a peer's Finished verify_data in constant time.</summary>
    public static bool VerifyFinished(HashAlgorithmName hash, ReadOnlySpan<byte> baseKey, ReadOnlySpan<byte> transcriptHash, ReadOnlySpan<byte> verifyData)
    {
        byte[] expected = ComputeFinishedVerifyData(hash, baseKey, transcriptHash);
        return verifyData.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, verifyData);
    }

    /// <summary>Hash of the empty string, Transcript-Hash("").</summary>
    private static void HashEmpty(HashAlgorithmName hash, Span<byte> destination)
    {
        if (hash == HashAlgorithmName.SHA384)
        {
            SHA384.HashData([], destination);
        }
        else
        {
            SHA256.HashData([], destination);
        }
    }

    private ReadOnlySpan<byte> CheckHash(ReadOnlySpan<byte> transcriptHash)
    {
        if (transcriptHash.Length != HashLength)
        {
            throw new ArgumentException($"Transcript hash must be {HashLength} bytes.", nameof(transcriptHash));
        }

        return transcriptHash;
    }
}
