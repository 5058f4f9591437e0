namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// Where the pieces of a packet lie after <see cref="PacketProtection.TryUnprotect"/>: the
/// header (with its first byte and packet number unmasked) is <c>[0, HeaderLength)</c>, the
/// plaintext frames are <c>[HeaderLength, HeaderLength + PayloadLength)</c>, the 16-byte tag follows.
/// </summary>
internal readonly record struct UnprotectedPacket(
    long PacketNumber,
    int PacketNumberLength,
    int HeaderLength,
    int PayloadLength);
