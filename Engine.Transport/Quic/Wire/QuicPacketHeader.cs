namespace Engine.Transport.Quic.Wire;

/// <summary>
/// The parts of a packet header readable before header protection is removed (RFC 9000 §17).
/// Spans point into the datagram; nothing is copied. The first byte's low bits and the packet
/// number are still protected: <see cref="PacketNumberOffset"/> is where header protection
/// sampling and packet-number decoding start.
/// </summary>
internal readonly ref struct QuicPacketHeader
{
    public QuicPacketType Type { get; init; }

    /// <summary>The first byte as received (its low bits are protected for Initial, 0-RTT, Handshake and 1-RTT).</summary>
    public byte FirstByte { get; init; }

    /// <summary>The version; 0 for Version Negotiation; 0 for short headers, which carry none.</summary>
    public uint Version { get; init; }

    public ReadOnlySpan<byte> DestinationConnectionId { get; init; }

    /// <summary>Empty for short headers.</summary>
    public ReadOnlySpan<byte> SourceConnectionId { get; init; }

    /// <summary>The Initial packet's token or the Retry packet's retry token; empty otherwise.</summary>
    public ReadOnlySpan<byte> Token { get; init; }

    /// <summary>The Length field (packet number plus payload) of Initial, 0-RTT and Handshake packets.</summary>
    public ulong Length { get; init; }

    /// <summary>Offset of the packet number from the packet's start; -1 for Retry and Version Negotiation.</summary>
    public int PacketNumberOffset { get; init; }

    /// <summary>
    /// Bytes this packet occupies in the datagram. Only Initial, 0-RTT and Handshake packets have a
    /// Length field, so only they can be followed by a coalesced packet; the others run to the end.
    /// </summary>
    public int PacketLength { get; init; }

    /// <summary>Retry Integrity Tag (Retry only).</summary>
    public ReadOnlySpan<byte> RetryIntegrityTag { get; init; }

    /// <summary>The raw version list (4 bytes each) of a Version Negotiation packet.</summary>
    public ReadOnlySpan<byte> SupportedVersions { get; init; }

    public bool IsLongHeader => (FirstByte & QuicPacketHeaderParser.LongHeaderBit) != 0;
}
