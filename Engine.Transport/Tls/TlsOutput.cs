
namespace Engine.Transport.Tls;

/// <summary>What a <see cref="TlsHandshake"/> hands to the protocol carrying it (QUIC).</summary>
internal enum TlsOutputKind
{
    /// <summary>Bytes to send in CRYPTO frames at the output's level.</summary>
    HandshakeData,

    /// <summary>The secret for reading packets at the output's level.</summary>
    ReadSecret,

    /// <summary>The secret for writing packets at the output's level.</summary>
    WriteSecret,
}

/// <summary>
/// One ordered output of the handshake. For <see cref="TlsOutputKind.HandshakeData"/>,
/// <paramref name="Data"/> is crypto-stream bytes for <paramref name="Level"/>; for the secret
/// kinds it is the traffic secret for <paramref name="Level"/> (Handshake or Application)
/// under <paramref name="CipherSuite"/>. Keys must be installed in the order given. Secret
/// arrays belong to the receiver (they may be wiped after use). For handshake data
/// <paramref name="CipherSuite"/> is the suite if already chosen, else default (0) — as for the ClientHello.
/// </summary>
internal readonly record struct TlsOutput(TlsOutputKind Kind, TlsEncryptionLevel Level, byte[] Data, TlsCipherSuite CipherSuite);
