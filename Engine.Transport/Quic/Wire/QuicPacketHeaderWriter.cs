using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire;

/// <summary>
/// Writes packet headers in the clear; packet protection (RFC 9001) encrypts the payload and
/// masks the first byte's low bits and the packet number afterwards. Reserved bits are 0.
/// </summary>
internal static class QuicPacketHeaderWriter
{
    /// <summary>Bytes of the Length field this writer uses: 2 covers payloads up to 16383 bytes.</summary>
    public const int DefaultLengthFieldSize = 2;

    /// <summary>Size of a long header up to and including the packet number.</summary>
    public static int GetLongHeaderLength(
        QuicPacketType type,
        int destinationConnectionIdLength,
        int sourceConnectionIdLength,
        int tokenLength,
        int packetNumberLength,
        int lengthFieldSize = DefaultLengthFieldSize)
    {
        int length = 1 + 4 + 1 + destinationConnectionIdLength + 1 + sourceConnectionIdLength + lengthFieldSize + packetNumberLength;
        if (type == QuicPacketType.Initial)
        {
            length += VarInt.GetLength((ulong)tokenLength) + tokenLength;
        }

        return length;
    }

    /// <summary>
    /// Writes an Initial, 0-RTT or Handshake header. <paramref name="payloadLength"/> is everything
    /// after the packet number (frames plus the AEAD tag); the Length field is that plus the packet
    /// number, written in <paramref name="lengthFieldSize"/> bytes. Returns the packet number's offset.
    /// </summary>
    public static int WriteLongHeader(
        ref SpanWriter writer,
        QuicPacketType type,
        uint version,
        scoped ReadOnlySpan<byte> destinationConnectionId,
        scoped ReadOnlySpan<byte> sourceConnectionId,
        scoped ReadOnlySpan<byte> token,
        long packetNumber,
        int packetNumberLength,
        int payloadLength,
        int lengthFieldSize = DefaultLengthFieldSize)
    {
        if (type is not (QuicPacketType.Initial or QuicPacketType.ZeroRtt or QuicPacketType.Handshake))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Only Initial, 0-RTT and Handshake packets have this header.");
        }

        if (!token.IsEmpty && type != QuicPacketType.Initial)
        {
            throw new ArgumentException("Only Initial packets carry a token.", nameof(token));
        }

        ValidatePacketNumberLength(packetNumberLength);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);

        WriteLongHeaderPrefix(ref writer, (byte)((byte)type << 4 | (packetNumberLength - 1)), version, destinationConnectionId, sourceConnectionId);
        if (type == QuicPacketType.Initial)
        {
            writer.WriteVarint((ulong)token.Length);
            writer.WriteBytes(token);
        }

        writer.WriteVarint((ulong)(packetNumberLength + payloadLength), lengthFieldSize);
        int packetNumberOffset = writer.Position;
        QuicPacketNumber.Write(ref writer, packetNumber, packetNumberLength);
        return packetNumberOffset;
    }

    /// <summary>Writes a 1-RTT short header; returns the packet number's offset.</summary>
    public static int WriteShortHeader(
        ref SpanWriter writer,
        scoped ReadOnlySpan<byte> destinationConnectionId,
        long packetNumber,
        int packetNumberLength,
        bool spinBit = false,
        bool keyPhase = false)
    {
        ValidatePacketNumberLength(packetNumberLength);
        ValidateConnectionId(destinationConnectionId);
        byte first = (byte)(QuicPacketHeaderParser.FixedBit
            | (spinBit ? 0x20 : 0)
            | (keyPhase ? 0x04 : 0)
            | (packetNumberLength - 1));
        writer.WriteByte(first);
        writer.WriteBytes(destinationConnectionId);
        int packetNumberOffset = writer.Position;
        QuicPacketNumber.Write(ref writer, packetNumber, packetNumberLength);
        return packetNumberOffset;
    }

    /// <summary>Writes a whole Retry packet; the integrity tag is computed by the crypto layer (RFC 9001 §5.8).</summary>
    public static void WriteRetry(
        ref SpanWriter writer,
        uint version,
        scoped ReadOnlySpan<byte> destinationConnectionId,
        scoped ReadOnlySpan<byte> sourceConnectionId,
        scoped ReadOnlySpan<byte> retryToken,
        scoped ReadOnlySpan<byte> integrityTag)
    {
        if (integrityTag.Length != QuicVersion.RetryIntegrityTagLength)
        {
            throw new ArgumentException($"The Retry Integrity Tag is {QuicVersion.RetryIntegrityTagLength} bytes.", nameof(integrityTag));
        }

        WriteLongHeaderPrefix(ref writer, (byte)QuicPacketType.Retry << 4, version, destinationConnectionId, sourceConnectionId);
        writer.WriteBytes(retryToken);
        writer.WriteBytes(integrityTag);
    }

    private static void WriteLongHeaderPrefix(
        ref SpanWriter writer, byte typeAndLowBits, uint version, scoped ReadOnlySpan<byte> destinationConnectionId, scoped ReadOnlySpan<byte> sourceConnectionId)
    {
        ValidateConnectionId(destinationConnectionId);
        ValidateConnectionId(sourceConnectionId);
        writer.WriteByte((byte)(QuicPacketHeaderParser.LongHeaderBit | QuicPacketHeaderParser.FixedBit | typeAndLowBits));
        writer.WriteUInt32(version);
        writer.WriteByte((byte)destinationConnectionId.Length);
        writer.WriteBytes(destinationConnectionId);
        writer.WriteByte((byte)sourceConnectionId.Length);
        writer.WriteBytes(sourceConnectionId);
    }

    private static void ValidatePacketNumberLength(int packetNumberLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(packetNumberLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packetNumberLength, 4);
    }

    private static void ValidateConnectionId(scoped ReadOnlySpan<byte> connectionId)
    {
        if (connectionId.Length > QuicVersion.MaxConnectionIdLength)
        {
            throw new ArgumentException($"A QUIC v1 connection ID is at most {QuicVersion.MaxConnectionIdLength} bytes.", nameof(connectionId));
        }
    }
}
