using System.Security.Cryptography;

namespace Engine.Transport.Tls;

/// <summary>
/// The running handshake transcript hash (RFC 8446 §4.4.1): whole handshake messages, header
/// included, are appended in order, and the hash so far can be read without finishing it.
/// </summary>
internal sealed class TlsTranscript : IDisposable
{
    private readonly IncrementalHash hash;

    /// <summary>A transcript over the cipher suite's hash.</summary>
    public TlsTranscript(HashAlgorithmName algorithm)
    {
        HashLength = TlsKeySchedule.GetHashLength(algorithm);
        Algorithm = algorithm;
        hash = IncrementalHash.CreateHash(algorithm);
    }

    /// <summary>The transcript's hash.</summary>
    public HashAlgorithmName Algorithm { get; }

    /// <summary>Hash.length.</summary>
    public int HashLength { get; }

    /// <summary>Appends one or more complete handshake messages (4-byte header and body).</summary>
    public void Append(ReadOnlySpan<byte> messages) => hash.AppendData(messages);

    /// <summary>Transcript-Hash of everything appended so far; the transcript keeps running.</summary>
    public byte[] GetCurrentHash() => hash.GetCurrentHash();

    /// <summary>Writes the current hash into <paramref name="destination"/>; returns its length.</summary>
    public int GetCurrentHash(Span<byte> destination) => hash.GetCurrentHash(destination);

    /// <summary>
    /// The HelloRetryRequest case (RFC 8446 §4.4.1): call after appending ClientHello1 and nothing
    /// else. The transcript restarts as message_hash(Hash(ClientHello1)) — type 254, a 24-bit length
    /// of Hash.length, then the hash — after which the HelloRetryRequest and ClientHello2 are appended.
    /// </summary>
    public void ReplaceClientHello1WithMessageHash()
    {
        Span<byte> synthetic = stackalloc byte[TlsConstants.HandshakeHeaderLength + 48];
        synthetic = synthetic[..(TlsConstants.HandshakeHeaderLength + HashLength)];
        synthetic[0] = (byte)TlsHandshakeType.MessageHash;
        synthetic[1] = 0;
        synthetic[2] = 0;
        synthetic[3] = (byte)HashLength;
        hash.GetHashAndReset(synthetic[TlsConstants.HandshakeHeaderLength..]);
        hash.AppendData(synthetic);
    }

    /// <summary>Releases the hash state.</summary>
    public void Dispose() => hash.Dispose();
}
