using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Wire;

public class QuicPacketHeaderWriterTests
{
    [Theory]
    [InlineData((int)QuicPacketType.Initial, 0xC3)]
    [InlineData((int)QuicPacketType.ZeroRtt, 0xD3)]
    [InlineData((int)QuicPacketType.Handshake, 0xE3)]
    public void WriteLongHeader_EachType_SetsTypeBitsAndRoundTrips(int packetType, byte expectedFirstByte)
    {
        var type = (QuicPacketType)packetType;
        byte[] dcid = [1, 2, 3, 4];
        byte[] token = type == QuicPacketType.Initial ? [0xEE] : [];
        int headerLength = QuicPacketHeaderWriter.GetLongHeaderLength(type, dcid.Length, 0, token.Length, 4);
        var buffer = new byte[headerLength + 30];
        var writer = new SpanWriter(buffer);

        int packetNumberOffset = QuicPacketHeaderWriter.WriteLongHeader(ref writer, type, QuicVersion.V1, dcid, [], token, 0x01020304, 4, 30);
        Assert.Equal(headerLength, writer.Position);
        writer.WriteZeros(30);

        Assert.Equal(expectedFirstByte, buffer[0]);
        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(buffer, 0, out QuicPacketHeader header));
        Assert.Equal(type, header.Type);
        Assert.Equal(packetNumberOffset, header.PacketNumberOffset);
        Assert.Equal(34UL, header.Length);
        Assert.Equal(token, header.Token.ToArray());
        Assert.Equal(buffer.Length, header.PacketLength);
        Assert.True(QuicPacketNumber.TryRead(buffer.AsSpan(packetNumberOffset), 4, out uint packetNumber));
        Assert.Equal(0x01020304u, packetNumber);
    }

    [Fact]
    public void WriteShortHeader_SpinAndKeyPhase_SetTheirBits()
    {
        var buffer = new byte[16];
        var writer = new SpanWriter(buffer);

        int packetNumberOffset = QuicPacketHeaderWriter.WriteShortHeader(ref writer, [7, 7], 0x1234, 2, spinBit: true, keyPhase: true);

        Assert.Equal("6507071234", Convert.ToHexString(writer.Written));
        Assert.Equal(3, packetNumberOffset);
    }

    [Fact]
    public void WriteLongHeader_TokenOnHandshakeOrLongConnectionId_Throws()
    {
        var buffer = new byte[100];

        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new SpanWriter(buffer);
            QuicPacketHeaderWriter.WriteLongHeader(ref writer, QuicPacketType.Handshake, QuicVersion.V1, [1], [], [1], 0, 1, 1);
        });
        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new SpanWriter(buffer);
            QuicPacketHeaderWriter.WriteLongHeader(ref writer, QuicPacketType.Initial, QuicVersion.V1, new byte[21], [], [], 0, 1, 1);
        });
    }
}
