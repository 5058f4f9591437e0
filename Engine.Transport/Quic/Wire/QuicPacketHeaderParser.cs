using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire;

/// <summary>
/// Parses packet headers before decryption. Never throws on peer input: every failure is a
/// <see cref="QuicHeaderStatus"/> and the datagram (or the rest of it) is dropped.
/// </summary>
internal static class QuicPacketHeaderParser
{
    public const byte LongHeaderBit = 0x80;
    public const byte FixedBit = 0x40;

    /// <summary>
    /// Parses the first packet in <paramref name="datagram"/>. Short headers carry no connection
    /// ID length, so the endpoint passes the length of the IDs it issued.
    /// </summary>
    public static QuicHeaderStatus TryParse(
        ReadOnlySpan<byte> datagram, int shortHeaderConnectionIdLength, out QuicPacketHeader header)
    {
        header = default;
        if (datagram.IsEmpty)
        {
            return QuicHeaderStatus.Truncated;
        }

        byte first = datagram[0];
        return (first & LongHeaderBit) == 0
            ? ParseShort(datagram, shortHeaderConnectionIdLength, out header)
            : ParseLong(datagram, out header);
    }

    /// <summary>
    /// Splits the first packet off a datagram that may hold several coalesced packets
    /// (RFC 9000 §12.2): <paramref name="packet"/> is the first one, <paramref name="rest"/> what follows.
    /// </summary>
    public static QuicHeaderStatus TrySplitFirst(
        ReadOnlySpan<byte> datagram,
        int shortHeaderConnectionIdLength,
        out QuicPacketHeader header,
        out ReadOnlySpan<byte> packet,
        out ReadOnlySpan<byte> rest)
    {
        QuicHeaderStatus status = TryParse(datagram, shortHeaderConnectionIdLength, out header);
        if (status != QuicHeaderStatus.Valid)
        {
            packet = default;
            rest = default;
            return status;
        }

        packet = datagram[..header.PacketLength];
        rest = datagram[header.PacketLength..];
        return status;
    }

    private static QuicHeaderStatus ParseShort(ReadOnlySpan<byte> datagram, int connectionIdLength, out QuicPacketHeader header)
    {
        header = default;
        if ((datagram[0] & FixedBit) == 0)
        {
            return QuicHeaderStatus.FixedBitNotSet;
        }

        if ((uint)connectionIdLength > QuicVersion.MaxConnectionIdLength)
        {
            return QuicHeaderStatus.ConnectionIdTooLong;
        }

        if (datagram.Length < 1 + connectionIdLength)
        {
            return QuicHeaderStatus.Truncated;
        }

        header = new QuicPacketHeader
        {
            Type = QuicPacketType.OneRtt,
            FirstByte = datagram[0],
            DestinationConnectionId = datagram.Slice(1, connectionIdLength),
            PacketNumberOffset = 1 + connectionIdLength,
            PacketLength = datagram.Length,
        };
        return QuicHeaderStatus.Valid;
    }

    private static QuicHeaderStatus ParseLong(ReadOnlySpan<byte> datagram, out QuicPacketHeader header)
    {
        header = default;
        var reader = new SpanReader(datagram);
        reader.TryReadByte(out byte first);
        if (!reader.TryReadUInt32(out uint version) || !reader.TryReadByte(out byte dcidLength))
        {
            return QuicHeaderStatus.Truncated;
        }

        // A v1 header with an over-long ID is invalid however long the datagram is.
        if (version == QuicVersion.V1 && dcidLength > QuicVersion.MaxConnectionIdLength)
        {
            return QuicHeaderStatus.ConnectionIdTooLong;
        }

        if (!reader.TryReadBytes(dcidLength, out ReadOnlySpan<byte> dcid)
            || !reader.TryReadByte(out byte scidLength)
            || !reader.TryReadBytes(scidLength, out ReadOnlySpan<byte> scid))
        {
            return QuicHeaderStatus.Truncated;
        }

        if (version == QuicVersion.Negotiation)
        {
            ReadOnlySpan<byte> versions = reader.ReadToEnd();
            if (versions.IsEmpty || versions.Length % 4 != 0)
            {
                return QuicHeaderStatus.Malformed;
            }

            header = new QuicPacketHeader
            {
                Type = QuicPacketType.VersionNegotiation,
                FirstByte = first,
                Version = version,
                DestinationConnectionId = dcid,
                SourceConnectionId = scid,
                PacketNumberOffset = -1,
                PacketLength = datagram.Length,
                SupportedVersions = versions,
            };
            return QuicHeaderStatus.Valid;
        }

        if (version != QuicVersion.V1)
        {
            header = new QuicPacketHeader
            {
                FirstByte = first,
                Version = version,
                DestinationConnectionId = dcid,
                SourceConnectionId = scid,
                PacketNumberOffset = -1,
                PacketLength = datagram.Length,
            };
            return QuicHeaderStatus.UnsupportedVersion;
        }

        if (dcidLength > QuicVersion.MaxConnectionIdLength || scidLength > QuicVersion.MaxConnectionIdLength)
        {
            return QuicHeaderStatus.ConnectionIdTooLong;
        }

        if ((first & FixedBit) == 0)
        {
            return QuicHeaderStatus.FixedBitNotSet;
        }

        var type = (QuicPacketType)((first >> 4) & 0x3);
        if (type == QuicPacketType.Retry)
        {
            ReadOnlySpan<byte> rest = reader.ReadToEnd();
            if (rest.Length < QuicVersion.RetryIntegrityTagLength)
            {
                return QuicHeaderStatus.Truncated;
            }

            header = new QuicPacketHeader
            {
                Type = type,
                FirstByte = first,
                Version = version,
                DestinationConnectionId = dcid,
                SourceConnectionId = scid,
                Token = rest[..^QuicVersion.RetryIntegrityTagLength],
                RetryIntegrityTag = rest[^QuicVersion.RetryIntegrityTagLength..],
                PacketNumberOffset = -1,
                PacketLength = datagram.Length,
            };
            return QuicHeaderStatus.Valid;
        }

        ReadOnlySpan<byte> token = default;
        if (type == QuicPacketType.Initial
            && (!reader.TryReadVarint(out ulong tokenLength) || !reader.TryReadBytes(tokenLength, out token)))
        {
            return QuicHeaderStatus.Truncated;
        }

        if (!reader.TryReadVarint(out ulong length) || length > (ulong)reader.Remaining)
        {
            return QuicHeaderStatus.Truncated;
        }

        header = new QuicPacketHeader
        {
            Type = type,
            FirstByte = first,
            Version = version,
            DestinationConnectionId = dcid,
            SourceConnectionId = scid,
            Token = token,
            Length = length,
            PacketNumberOffset = reader.Position,
            PacketLength = reader.Position + (int)length,
        };
        return QuicHeaderStatus.Valid;
    }
}
