using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Wire;

public class QuicVersionNegotiationTests
{
    [Fact]
    public void Write_ThenParse_ListsTheVersionsAndSwapsNothing()
    {
        byte[] dcid = [1, 2, 3];
        byte[] scid = [4, 5, 6, 7, 8, 9, 10, 11];
        uint[] versions = [QuicVersion.V1, 0x1A2A3A4A];
        var buffer = new byte[QuicVersionNegotiation.GetLength(dcid.Length, scid.Length, versions.Length)];
        var writer = new SpanWriter(buffer);

        QuicVersionNegotiation.Write(ref writer, dcid, scid, versions, unusedBits: 0x3F);

        Assert.Equal(buffer.Length, writer.Position);
        Assert.Equal(0xFF, buffer[0]);
        Assert.Equal(QuicHeaderStatus.Valid, QuicPacketHeaderParser.TryParse(buffer, 8, out QuicPacketHeader header));
        Assert.Equal(QuicPacketType.VersionNegotiation, header.Type);
        Assert.Equal(dcid, header.DestinationConnectionId.ToArray());
        Assert.Equal(scid, header.SourceConnectionId.ToArray());
        Assert.Equal(2, QuicVersionNegotiation.GetVersionCount(header.SupportedVersions));
        Assert.Equal(0x1A2A3A4Au, QuicVersionNegotiation.GetVersion(header.SupportedVersions, 1));
        Assert.True(QuicVersionNegotiation.Contains(header.SupportedVersions, QuicVersion.V1));
        Assert.False(QuicVersionNegotiation.Contains(header.SupportedVersions, 2));
    }

    [Fact]
    public void TryParse_VersionListNotMultipleOf4OrEmpty_ReturnsMalformed()
    {
        byte[] empty = [0x80, 0, 0, 0, 0, 0, 0];
        byte[] ragged = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA];

        Assert.Equal(QuicHeaderStatus.Malformed, QuicPacketHeaderParser.TryParse(empty, 0, out _));
        Assert.Equal(QuicHeaderStatus.Malformed, QuicPacketHeaderParser.TryParse(ragged, 0, out _));
    }
}
