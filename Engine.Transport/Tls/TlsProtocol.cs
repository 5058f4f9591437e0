using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>TLS 1.3 handshake message types (RFC 8446 §4).</summary>
internal enum TlsHandshakeType : byte
{
    ClientHello = 1,
    ServerHello = 2,
    NewSessionTicket = 4,
    EndOfEarlyData = 5,
    EncryptedExtensions = 8,
    Certificate = 11,
    CertificateRequest = 13,
    CertificateVerify = 15,
    Finished = 20,
    KeyUpdate = 24,
    MessageHash = 254,
}

/// <summary>TLS alert descriptions used here (RFC 8446 §6.2); a carrier reports them its own way (QUIC: CRYPTO_ERROR 0x100 + alert).</summary>
internal enum TlsAlert : byte
{
    UnexpectedMessage = 10,
    HandshakeFailure = 40,
    BadCertificate = 42,
    UnsupportedCertificate = 43,
    CertificateExpired = 45,
    CertificateUnknown = 46,
    IllegalParameter = 47,
    UnknownCa = 48,
    DecodeError = 50,
    DecryptError = 51,
    ProtocolVersion = 70,
    InternalError = 80,
    MissingExtension = 109,
    UnsupportedExtension = 110,
    NoApplicationProtocol = 120,
}

/// <summary>TLS extension types (RFC 8446 §4.2, RFC 7301, RFC 9001 §8.2).</summary>
internal enum TlsExtensionType : ushort
{
    ServerName = 0,
    SupportedGroups = 10,
    SignatureAlgorithms = 13,
    ApplicationLayerProtocolNegotiation = 16,
    PreSharedKey = 41,
    EarlyData = 42,
    SupportedVersions = 43,
    Cookie = 44,
    PskKeyExchangeModes = 45,
    KeyShare = 51,
    QuicTransportParameters = 57,
}

/// <summary>Named groups, cipher suites and versions that matter to the handshake.</summary>
internal static class TlsConstants
{
    public const ushort Tls13 = 0x0304;
    public const ushort Tls12 = 0x0303;
    public const ushort X25519 = 0x001d;
    public const ushort Secp256r1 = 0x0017;
    public const ushort Secp384r1 = 0x0018;
    public const ushort X25519MlKem768 = 0x11ec;
    public const ushort TlsAes128GcmSha256 = 0x1301;
    public const ushort TlsAes256GcmSha384 = 0x1302;
    public const ushort TlsChaCha20Poly1305Sha256 = 0x1303;

    /// <summary>The 4-byte handshake header: type and 24-bit length (RFC 8446 §4).</summary>
    public const int HandshakeHeaderLength = 4;
}

/// <summary>The one helper every parser and handshake step uses to refuse with an alert.</summary>
internal static class TlsAlerts
{
    /// <summary>Sets <paramref name="reason"/> to <paramref name="message"/> and returns the failure with <paramref name="alert"/>.</summary>
    public static TlsError Reject(TlsAlert alert, string message, out string reason)
    {
        reason = message;
        return TlsError.FromAlert(alert);
    }

    /// <summary>Clears <paramref name="reason"/> and returns <see cref="TlsError.None"/>.</summary>
    public static TlsError Accept(out string reason)
    {
        reason = string.Empty;
        return TlsError.None;
    }
}

/// <summary>Handshake message framing over the crypto stream.</summary>
internal static class TlsHandshakeFraming
{
    /// <summary>
    /// Reads a handshake header from <paramref name="stream"/>. False when fewer than four bytes
    /// are there. The body may not have arrived yet: compare <paramref name="bodyLength"/> with
    /// what follows.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> stream, out TlsHandshakeType type, out int bodyLength)
    {
        if (stream.Length < TlsConstants.HandshakeHeaderLength)
        {
            type = default;
            bodyLength = 0;
            return false;
        }

        type = (TlsHandshakeType)stream[0];
        bodyLength = (stream[1] << 16) | (stream[2] << 8) | stream[3];
        return true;
    }

    /// <summary>
    /// Splits one complete handshake message (header and body) off the front of
    /// <paramref name="stream"/>; false until all of it is present.
    /// </summary>
    public static bool TrySplitMessage(ReadOnlySpan<byte> stream, out TlsHandshakeType type, out ReadOnlySpan<byte> body, out int messageLength)
    {
        body = default;
        messageLength = 0;
        if (!TryReadHeader(stream, out type, out int bodyLength)
            || stream.Length - TlsConstants.HandshakeHeaderLength < bodyLength)
        {
            return false;
        }

        messageLength = TlsConstants.HandshakeHeaderLength + bodyLength;
        body = stream.Slice(TlsConstants.HandshakeHeaderLength, bodyLength);
        return true;
    }

    /// <summary>Writes a handshake header for a body of <paramref name="bodyLength"/> bytes.</summary>
    public static void WriteHeader(ref SpanWriter writer, TlsHandshakeType type, int bodyLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bodyLength, 0xffffff);
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        writer.WriteByte((byte)type);
        writer.WriteUInt24((uint)bodyLength);
    }
}
