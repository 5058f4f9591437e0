using BenchmarkDotNet.Attributes;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Bench.Micro;

/// <summary>The QUIC wire layer's hot paths; every benchmark should allocate 0 B.</summary>
public class QuicWireBenchmarks
{
    private readonly byte[] _varints = new byte[4 * 8];
    private readonly byte[] _payload = new byte[1200];
    private readonly byte[] _streamData = new byte[1000];
    private readonly byte[] _output = new byte[1500];
    private int _payloadLength;

    [GlobalSetup]
    public void Setup()
    {
        // ACK with three ranges + STREAM carrying 1000 bytes + PADDING to 1200 bytes.
        var writer = new SpanWriter(_payload);
        AckFrame.Write(ref writer, [new AckRange(90, 100), new AckRange(50, 80), new AckRange(0, 40)], 25, null);
        new StreamFrame(4, 65_536, _streamData, fin: false).Write(ref writer);
        writer.WriteZeros(writer.Remaining);
        _payloadLength = writer.Position;
        Random.Shared.NextBytes(_streamData);
        VarintEncode(); // so VarintDecode reads the four RFC example values, one per length
    }

    [Benchmark]
    public int VarintEncode()
    {
        Span<byte> buffer = _varints;
        int written = VarInt.Write(buffer, 37);
        written += VarInt.Write(buffer[written..], 15_293);
        written += VarInt.Write(buffer[written..], 494_878_333);
        written += VarInt.Write(buffer[written..], 151_288_809_941_952_652);
        return written;
    }

    [Benchmark]
    public ulong VarintDecode()
    {
        ReadOnlySpan<byte> buffer = _varints;
        ulong sum = 0;
        for (int i = 0; i < 4; i++)
        {
            VarInt.TryRead(buffer, out ulong value, out int consumed);
            sum += value;
            buffer = buffer[consumed..];
        }

        return sum;
    }

    [Benchmark]
    public int ParseAckStreamPadding()
    {
        var visitor = new CountingVisitor();
        QuicFrameParser.Parse(_payload.AsSpan(0, _payloadLength), QuicPacketType.OneRtt, ref visitor, out QuicPayloadSummary summary);
        return summary.FrameCount + visitor.Bytes;
    }

    [Benchmark]
    public int WriteStreamFrame()
    {
        var writer = new SpanWriter(_output);
        new StreamFrame(4, 65_536, _streamData, fin: true).Write(ref writer);
        return writer.Position;
    }

    private struct CountingVisitor : IQuicFrameVisitor
    {
        public int Bytes;

        public QuicTransportErrorCode OnPadding(PaddingFrame frame) => Count(frame.Length);
        public QuicTransportErrorCode OnPing() => Count(1);
        public QuicTransportErrorCode OnAck(scoped AckFrame frame)
        {
            foreach (AckRange range in frame.GetRanges())
            {
                Bytes += (int)range.Count;
            }

            return QuicTransportErrorCode.NoError;
        }

        public QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame) => Count(1);
        public QuicTransportErrorCode OnStopSending(in StopSendingFrame frame) => Count(1);
        public QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame) => Count(frame.Data.Length);
        public QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame) => Count(1);
        public QuicTransportErrorCode OnStream(scoped StreamFrame frame) => Count(frame.Data.Length);
        public QuicTransportErrorCode OnMaxData(in MaxDataFrame frame) => Count(1);
        public QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame) => Count(1);
        public QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame) => Count(1);
        public QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame) => Count(1);
        public QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame) => Count(1);
        public QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame) => Count(1);
        public QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame) => Count(1);
        public QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame) => Count(1);
        public QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame) => Count(1);
        public QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame) => Count(1);
        public QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame) => Count(1);
        public QuicTransportErrorCode OnHandshakeDone() => Count(1);
        public QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame) => Count(frame.Data.Length);

        private QuicTransportErrorCode Count(int bytes)
        {
            Bytes += bytes;
            return QuicTransportErrorCode.NoError;
        }
    }
}
