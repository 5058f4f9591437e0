using System.Buffers.Binary;
using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire;

/// <summary>
/// Version Negotiation packets (RFC 9000 §17.2.1). Parsing is done by
/// <see cref="QuicPacketHeaderParser"/>; this reads the version list it returns and builds replies.
/// </summary>
internal static class QuicVersionNegotiation
{
    public static int GetLength(int destinationConnectionIdLength, int sourceConnectionIdLength, int versionCount) =>
        1 + 4 + 1 + destinationConnectionIdLength + 1 + sourceConnectionIdLength + 4 * versionCount;

    /// <summary>
    /// Writes a Version Negotiation packet. A server echoes the client's source connection ID as
    /// <paramref name="destinationConnectionId"/> and its destination ID as <paramref name="sourceConnectionId"/>.
    /// The 6 low bits of <paramref name="unusedBits"/> fill the first byte; 0x40 is always set so the
    /// packet looks like other QUIC packets.
    /// </summary>
    public static void Write(
        ref SpanWriter writer,
        scoped ReadOnlySpan<byte> destinationConnectionId,
        scoped ReadOnlySpan<byte> sourceConnectionId,
        scoped ReadOnlySpan<uint> supportedVersions,
        byte unusedBits = 0)
    {
        // Invariants (RFC 8999) allow 255-byte IDs: the reply echoes whatever the client sent.
        if (supportedVersions.IsEmpty)
        {
            throw new ArgumentException("A Version Negotiation packet lists at least one version.", nameof(supportedVersions));
        }

        writer.WriteByte((byte)(QuicPacketHeaderParser.LongHeaderBit | QuicPacketHeaderParser.FixedBit | (unusedBits & 0x3F)));
        writer.WriteUInt32(QuicVersion.Negotiation);
        writer.WriteByte(checked((byte)destinationConnectionId.Length));
        writer.WriteBytes(destinationConnectionId);
        writer.WriteByte(checked((byte)sourceConnectionId.Length));
        writer.WriteBytes(sourceConnectionId);
        foreach (uint version in supportedVersions)
        {
            writer.WriteUInt32(version);
        }
    }

    /// <summary>Versions in a parsed <see cref="QuicPacketHeader.SupportedVersions"/> list.</summary>
    public static int GetVersionCount(scoped ReadOnlySpan<byte> supportedVersions) => supportedVersions.Length / 4;

    public static uint GetVersion(scoped ReadOnlySpan<byte> supportedVersions, int index) =>
        BinaryPrimitives.ReadUInt32BigEndian(supportedVersions.Slice(index * 4, 4));

    public static bool Contains(scoped ReadOnlySpan<byte> supportedVersions, uint version)
    {
        for (int i = 0; i + 4 <= supportedVersions.Length; i += 4)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(supportedVersions[i..]) == version)
            {
                return true;
            }
        }

        return false;
    }
}
