using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Wire.Frames;

/// <summary>Records what the parser hands over; a ref struct, like the connection's visitor may be.</summary>
internal ref struct RecordingVisitor : IQuicFrameVisitor
{
    public List<string> Seen;
    public QuicTransportErrorCode StreamResult;

    public RecordingVisitor() => Seen = [];

    public QuicTransportErrorCode OnPadding(PaddingFrame frame) => Add($"PADDING {frame.Length}");
    public QuicTransportErrorCode OnPing() => Add("PING");
    public QuicTransportErrorCode OnAck(scoped AckFrame frame) => Add($"ACK {frame.LargestAcknowledged}");
    public QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame) => Add("RESET_STREAM");
    public QuicTransportErrorCode OnStopSending(in StopSendingFrame frame) => Add("STOP_SENDING");
    public QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame) => Add($"CRYPTO {frame.Offset} {frame.Data.Length}");
    public QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame) => Add("NEW_TOKEN");

    public QuicTransportErrorCode OnStream(scoped StreamFrame frame)
    {
        Add($"STREAM {frame.StreamId} {frame.Data.Length}");
        return StreamResult;
    }

    public QuicTransportErrorCode OnMaxData(in MaxDataFrame frame) => Add("MAX_DATA");
    public QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame) => Add("MAX_STREAM_DATA");
    public QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame) => Add("MAX_STREAMS");
    public QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame) => Add("DATA_BLOCKED");
    public QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame) => Add("STREAM_DATA_BLOCKED");
    public QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame) => Add("STREAMS_BLOCKED");
    public QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame) => Add("NEW_CONNECTION_ID");
    public QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame) => Add("RETIRE_CONNECTION_ID");
    public QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame) => Add("PATH_CHALLENGE");
    public QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame) => Add("PATH_RESPONSE");
    public QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame) => Add("CONNECTION_CLOSE");
    public QuicTransportErrorCode OnHandshakeDone() => Add("HANDSHAKE_DONE");
    public QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame) => Add($"DATAGRAM {frame.Data.Length}");

    private readonly QuicTransportErrorCode Add(string entry)
    {
        Seen.Add(entry);
        return QuicTransportErrorCode.NoError;
    }
}

public class QuicFrameParserTests
{
    private static QuicTransportErrorCode Parse(byte[] payload, QuicPacketType type, out List<string> seen, out QuicPayloadSummary summary)
    {
        var visitor = new RecordingVisitor();
        QuicTransportErrorCode error = QuicFrameParser.Parse(payload, type, ref visitor, out summary);
        seen = visitor.Seen;
        return error;
    }

    [Fact]
    public void Parse_AckStreamPadding_VisitsEachFrameInOrder()
    {
        byte[] payload = [0x02, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x04, 0x03, 1, 2, 3, 0x00, 0x00, 0x00];

        Assert.Equal(QuicTransportErrorCode.NoError, Parse(payload, QuicPacketType.OneRtt, out List<string> seen, out QuicPayloadSummary summary));

        Assert.Equal(["ACK 10", "STREAM 4 3", "PADDING 3"], seen);
        Assert.True(summary.IsAckEliciting);
        Assert.True(summary.CountsInFlight);
        Assert.False(summary.IsProbingOnly);
        Assert.Equal(3, summary.FrameCount);
    }

    [Fact]
    public void Parse_AckOnly_IsNeitherAckElicitingNorInFlight()
    {
        Assert.Equal(QuicTransportErrorCode.NoError, Parse([0x02, 0x05, 0x00, 0x00, 0x00], QuicPacketType.Handshake, out _, out QuicPayloadSummary summary));

        Assert.False(summary.IsAckEliciting);
        Assert.False(summary.CountsInFlight);
    }

    [Fact]
    public void Parse_PathChallengeAndPadding_IsProbingOnly()
    {
        byte[] payload = [0x1a, 1, 2, 3, 4, 5, 6, 7, 8, 0x00];

        Assert.Equal(QuicTransportErrorCode.NoError, Parse(payload, QuicPacketType.OneRtt, out _, out QuicPayloadSummary summary));

        Assert.True(summary.IsProbingOnly);
    }

    [Fact]
    public void Parse_EmptyPayload_ReturnsProtocolViolation() =>
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Parse([], QuicPacketType.OneRtt, out _, out _));

    [Fact]
    public void Parse_StreamInInitial_ReturnsProtocolViolationNamingTheFrame()
    {
        byte[] payload = [0x01, 0x08, 0x00, 0xAA];

        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Parse(payload, QuicPacketType.Initial, out List<string> seen, out QuicPayloadSummary summary));

        Assert.Equal(["PING"], seen);
        Assert.Equal(0x08UL, summary.ErrorFrameType);
        Assert.Equal(1, summary.ErrorOffset);
    }

    [Fact]
    public void Parse_UnknownFrameType_ReturnsFrameEncodingError()
    {
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, Parse([0x1f], QuicPacketType.OneRtt, out _, out QuicPayloadSummary summary));
        Assert.Equal(0x1fUL, summary.ErrorFrameType);
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, Parse([0x80, 0x00, 0x40, 0x00], QuicPacketType.OneRtt, out _, out _));
    }

    [Fact]
    public void Parse_KnownTypeInTwoByteEncoding_ReturnsProtocolViolation() =>
        Assert.Equal(QuicTransportErrorCode.ProtocolViolation, Parse([0x40, 0x01], QuicPacketType.OneRtt, out _, out _));

    [Fact]
    public void Parse_TruncatedFrame_ReturnsFrameEncodingError() =>
        Assert.Equal(QuicTransportErrorCode.FrameEncodingError, Parse([0x01, 0x06, 0x00, 0x05, 1, 2], QuicPacketType.Initial, out _, out _));

    [Fact]
    public void Parse_VisitorError_StopsWithThatError()
    {
        var visitor = new RecordingVisitor { StreamResult = QuicTransportErrorCode.StreamStateError };
        byte[] payload = [0x0a, 0x03, 0x01, 0xAA, 0x01];

        QuicTransportErrorCode error = QuicFrameParser.Parse(payload, QuicPacketType.OneRtt, ref visitor, out QuicPayloadSummary summary);

        Assert.Equal(QuicTransportErrorCode.StreamStateError, error);
        Assert.Equal(["STREAM 3 1"], visitor.Seen);
        Assert.Equal(0x0aUL, summary.ErrorFrameType);
    }

    [Fact]
    public void Parse_EveryFrameKindIn1Rtt_IsVisited()
    {
        byte[] payload = Convert.FromHexString(
            "01" + "020100000000" + "04010203" + "050102" + "06000101" + "070101" + "0b0100" + "1001" + "110102"
            + "1201" + "1301" + "1401" + "150102" + "1601" + "1701" + "1801000101" + "00000000000000000000000000000000"
            + "1900" + "1a0000000000000000" + "1b0000000000000000" + "1c000000" + "1d0000" + "1e" + "310101" + "3002");

        Assert.Equal(QuicTransportErrorCode.NoError, Parse(payload, QuicPacketType.OneRtt, out List<string> seen, out _));

        Assert.Equal(25, seen.Count);
    }
}
