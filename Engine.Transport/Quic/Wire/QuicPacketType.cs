namespace Engine.Transport.Quic.Wire;

/// <summary>QUIC v1 packet types (RFC 9000 §17). The first four match the long-header type bits.</summary>
internal enum QuicPacketType : byte
{
    Initial = 0,
    ZeroRtt = 1,
    Handshake = 2,
    Retry = 3,
    OneRtt = 4,
    VersionNegotiation = 5,
}

/// <summary>Version numbers and connection ID limits of QUIC v1.</summary>
internal static class QuicVersion
{
    /// <summary>QUIC version 1 (RFC 9000).</summary>
    public const uint V1 = 0x0000_0001;

    /// <summary>The version field of a Version Negotiation packet.</summary>
    public const uint Negotiation = 0;

    /// <summary>Longest connection ID QUIC v1 allows (other versions may use up to 255).</summary>
    public const int MaxConnectionIdLength = 20;

    /// <summary>Size of the Retry Integrity Tag that ends every Retry packet (RFC 9001 §5.8).</summary>
    public const int RetryIntegrityTagLength = 16;
}
