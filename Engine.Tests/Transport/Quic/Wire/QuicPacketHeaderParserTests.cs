using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Wire;

public class QuicPacketHeaderParserTests
{
    private static readonly byte[] s_dcid = [1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly byte[] s_scid = [9, 9, 9];

    private static byte[] LongPacket(QuicPacketType type, ReadOnlySpan<byte> token, int payloadLength, ReadOnlySpan<byte> dcid = default)
    {
        byte[] id = dcid.IsEmpty ? s_dcid : dcid.ToArray();
        var buffer = new byte[200 + payloadLength];
        var writer = new SpanWriter(buffer);
        QuicPacketHeaderWriter.WriteLongHeader(ref writer, type, QuicVersion.V1, id, s_scid, token, 7, 2, payloadLength);
        writer.WriteZeros(payloadLength);
        return writer.Written.ToArray();
    }

    [Fact]
    public void TryParse_ChromiumStyleInitial_ReadsEveryField()
    {
        byte[] packet = LongPacket(QuicPacketType.Initial, [0xAA, 0xBB], 50, dcid: s_dcid);

        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(packet, 8, out QuicPacketHeader header));

        Assert.Equal(QuicPacketType.Initial, header.Type);
        Assert.True(header.IsLongHeader);
        Assert.Equal(QuicVersion.V1, header.Version);
        Assert.Equal(s_dcid, header.DestinationConnectionId.ToArray());
        Assert.Equal(s_scid, header.SourceConnectionId.ToArray());
        Assert.Equal(new byte[] { 0xAA, 0xBB }, header.Token.ToArray());
        Assert.Equal(52UL, header.Length);
        Assert.Equal(packet.Length, header.PacketLength);
        Assert.Equal(packet.Length - 52, header.PacketNumberOffset);
    }

    [Fact]
    public void TryParse_ZeroLengthSourceConnectionId_IsValid()
    {
        var buffer = new byte[100];
        var writer = new SpanWriter(buffer);
        QuicPacketHeaderWriter.WriteLongHeader(ref writer, QuicPacketType.Initial, QuicVersion.V1, s_dcid, [], [], 1, 1, 20);
        writer.WriteZeros(20);

        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(writer.Written, 0, out QuicPacketHeader header));
        Assert.True(header.SourceConnectionId.IsEmpty);
    }

    [Fact]
    public void TrySplitFirst_CoalescedInitialHandshakeOneRtt_SplitsAtEachLength()
    {
        byte[] initial = LongPacket(QuicPacketType.Initial, [], 30);
        byte[] handshake = LongPacket(QuicPacketType.Handshake, [], 40);
        byte[] oneRtt = [0x41, .. s_dcid, 0x00, 0x00, 0x00, 0x00];
        byte[] datagram = [.. initial, .. handshake, .. oneRtt];
        ReadOnlySpan<byte> rest = datagram;
        var types = new List<QuicPacketType>();
        var lengths = new List<int>();

        while (!rest.IsEmpty)
        {
            Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TrySplitFirst(rest, 8, out QuicPacketHeader header, out ReadOnlySpan<byte> packet, out rest));
            types.Add(header.Type);
            lengths.Add(packet.Length);
        }

        Assert.Equal([QuicPacketType.Initial, QuicPacketType.Handshake, QuicPacketType.OneRtt], types);
        Assert.Equal([initial.Length, handshake.Length, oneRtt.Length], lengths);
    }

    [Fact]
    public void TryParse_ShortHeader_UsesTheGivenConnectionIdLength()
    {
        byte[] packet = [0x65, .. s_dcid, 0x12, 0x34, 0xFF];

        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(packet, 8, out QuicPacketHeader header));

        Assert.Equal(QuicPacketType.OneRtt, header.Type);
        Assert.False(header.IsLongHeader);
        Assert.Equal(s_dcid, header.DestinationConnectionId.ToArray());
        Assert.Equal(9, header.PacketNumberOffset);
        Assert.Equal(packet.Length, header.PacketLength);
    }

    [Fact]
    public void TryParse_Retry_SeparatesTokenAndIntegrityTag()
    {
        byte[] tag = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];
        var buffer = new byte[100];
        var writer = new SpanWriter(buffer);
        QuicPacketHeaderWriter.WriteRetry(ref writer, QuicVersion.V1, s_dcid, s_scid, [5, 6, 7], tag);

        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(writer.Written, 8, out QuicPacketHeader header));

        Assert.Equal(QuicPacketType.Retry, header.Type);
        Assert.Equal(new byte[] { 5, 6, 7 }, header.Token.ToArray());
        Assert.Equal(tag, header.RetryIntegrityTag.ToArray());
        Assert.Equal(-1, header.PacketNumberOffset);
    }

    [Fact]
    public void TryParse_EveryTruncationOfAnInitial_ReturnsTruncated()
    {
        byte[] packet = LongPacket(QuicPacketType.Initial, [1, 2, 3], 10);

        for (int length = 0; length < packet.Length; length++)
        {
            Assert.Equal(QuicHeaderStatus.Truncated, QuicPacketHeaderParser.TryParse(packet.AsSpan(0, length), 8, out _));
        }
    }

    [Fact]
    public void TryParse_V1ConnectionIdOver20_ReturnsConnectionIdTooLong()
    {
        byte[] packet = [0xC0, 0, 0, 0, 1, 21, .. new byte[21], 0, 0, 1, 0];

        Assert.Equal(QuicHeaderStatus.ConnectionIdTooLong, QuicPacketHeaderParser.TryParse(packet, 8, out _));
        Assert.Equal(QuicHeaderStatus.ConnectionIdTooLong, QuicPacketHeaderParser.TryParse(packet.AsSpan(0, 8), 8, out _));
    }

    [Fact]
    public void TryParse_FixedBitZero_ReturnsFixedBitNotSet()
    {
        byte[] packet = LongPacket(QuicPacketType.Handshake, [], 10);
        packet[0] &= 0xBF;
        byte[] shortPacket = [0x01, .. s_dcid, 0];

        Assert.Equal(QuicHeaderStatus.FixedBitNotSet, QuicPacketHeaderParser.TryParse(packet, 8, out _));
        Assert.Equal(QuicHeaderStatus.FixedBitNotSet, QuicPacketHeaderParser.TryParse(shortPacket, 8, out _));
    }

    [Fact]
    public void TryParse_UnknownVersion_ReturnsUnsupportedVersionWithConnectionIds()
    {
        byte[] packet = [0xC0, 0x1A, 0x2A, 0x3A, 0x4A, 25, .. new byte[25], 2, 7, 7, .. new byte[1200]];

        Assert.Equal(QuicHeaderStatus.UnsupportedVersion, QuicPacketHeaderParser.TryParse(packet, 8, out QuicPacketHeader header));

        Assert.Equal(0x1A2A3A4Au, header.Version);
        Assert.Equal(25, header.DestinationConnectionId.Length);
        Assert.Equal(new byte[] { 7, 7 }, header.SourceConnectionId.ToArray());
    }

    [Fact]
    public void TryParse_LengthBeyondDatagram_ReturnsTruncated()
    {
        byte[] packet = LongPacket(QuicPacketType.ZeroRtt, [], 10);

        Assert.Equal(QuicHeaderStatus.Truncated, QuicPacketHeaderParser.TryParse(packet.AsSpan(0, packet.Length - 1), 8, out _));
    }
}
