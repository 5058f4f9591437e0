using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

public class QuicFrameTableTests
{
    // RFC 9000 §12.4 Table 3 as printed (Pkts: I, 0, H, 1 with '_' for absent; "ih01" means only
    // 0x1c in Initial/Handshake; Spec: N not ack-eliciting, C not in flight, P probing, F flow
    // controlled), plus RFC 9221's DATAGRAM.
    public static TheoryData<ulong, ulong, string, string, string> RfcTable => new()
    {
        { 0x00, 0x00, "PADDING", "IH01", "NP" },
        { 0x01, 0x01, "PING", "IH01", "" },
        { 0x02, 0x03, "ACK", "IH_1", "NC" },
        { 0x04, 0x04, "RESET_STREAM", "__01", "" },
        { 0x05, 0x05, "STOP_SENDING", "__01", "" },
        { 0x06, 0x06, "CRYPTO", "IH_1", "" },
        { 0x07, 0x07, "NEW_TOKEN", "___1", "" },
        { 0x08, 0x0f, "STREAM", "__01", "F" },
        { 0x10, 0x10, "MAX_DATA", "__01", "" },
        { 0x11, 0x11, "MAX_STREAM_DATA", "__01", "" },
        { 0x12, 0x13, "MAX_STREAMS", "__01", "" },
        { 0x14, 0x14, "DATA_BLOCKED", "__01", "" },
        { 0x15, 0x15, "STREAM_DATA_BLOCKED", "__01", "" },
        { 0x16, 0x17, "STREAMS_BLOCKED", "__01", "" },
        { 0x18, 0x18, "NEW_CONNECTION_ID", "__01", "P" },
        { 0x19, 0x19, "RETIRE_CONNECTION_ID", "__01", "" },
        { 0x1a, 0x1a, "PATH_CHALLENGE", "__01", "P" },
        { 0x1b, 0x1b, "PATH_RESPONSE", "___1", "P" },
        { 0x1c, 0x1c, "CONNECTION_CLOSE", "IH01", "N" },
        { 0x1d, 0x1d, "CONNECTION_CLOSE", "__01", "N" },
        { 0x1e, 0x1e, "HANDSHAKE_DONE", "___1", "" },
        { 0x30, 0x31, "DATAGRAM", "__01", "" },
    };

    [Theory]
    [MemberData(nameof(RfcTable))]
    public void TryGetInfo_EachFrameType_MatchesRfcTable3(ulong first, ulong last, string name, string packets, string spec)
    {
        for (ulong type = first; type <= last; type++)
        {
            Assert.True(QuicFrameTable.TryGetInfo(type, out QuicFrameInfo info));
            Assert.Equal(name, info.Name);
            Assert.Equal(packets[0] == 'I', QuicFrameTable.IsAllowed(type, QuicPacketType.Initial));
            Assert.Equal(packets[1] == 'H', QuicFrameTable.IsAllowed(type, QuicPacketType.Handshake));
            Assert.Equal(packets[2] == '0', QuicFrameTable.IsAllowed(type, QuicPacketType.ZeroRtt));
            Assert.Equal(packets[3] == '1', QuicFrameTable.IsAllowed(type, QuicPacketType.OneRtt));
            Assert.Equal(!spec.Contains('N', StringComparison.Ordinal), QuicFrameTable.IsAckEliciting(type));
            Assert.Equal(!spec.Contains('C', StringComparison.Ordinal), QuicFrameTable.CountsInFlight(type));
            Assert.Equal(spec.Contains('P', StringComparison.Ordinal), info.IsProbing);
            Assert.Equal(spec.Contains('F', StringComparison.Ordinal), info.IsFlowControlled);
            Assert.False(QuicFrameTable.IsAllowed(type, QuicPacketType.Retry));
            Assert.False(QuicFrameTable.IsAllowed(type, QuicPacketType.VersionNegotiation));
        }
    }

    [Theory]
    [InlineData(0x1fUL)]
    [InlineData(0x2fUL)]
    [InlineData(0x32UL)]
    [InlineData(0x4000UL)]
    public void TryGetInfo_UndefinedType_IsUnknownAndNeverAllowed(ulong type)
    {
        Assert.False(QuicFrameTable.TryGetInfo(type, out _));
        Assert.False(QuicFrameTable.IsAllowed(type, QuicPacketType.OneRtt));
    }
}
