using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Streams;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Tests.Transport.Quic.Streams;

/// <summary>Delivers the stream frames of one parsed packet to a <see cref="StreamManager"/> and counts frame types.</summary>
internal struct DeliveringVisitor(StreamManager target, Dictionary<string, int> counts) : IQuicFrameVisitor
{
    public QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame) =>
        Count("RESET_STREAM", target.OnResetStream(frame.StreamId, frame.ApplicationErrorCode, frame.FinalSize));

    public QuicTransportErrorCode OnStopSending(in StopSendingFrame frame) =>
        Count("STOP_SENDING", target.OnStopSending(frame.StreamId, frame.ApplicationErrorCode));

    public QuicTransportErrorCode OnStream(scoped StreamFrame frame) =>
        Count("STREAM", target.OnStreamFrame(frame.StreamId, frame.Offset, frame.Data, frame.Fin));

    public QuicTransportErrorCode OnMaxData(in MaxDataFrame frame) => Count("MAX_DATA", target.OnMaxData(frame.MaximumData));

    public QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame) =>
        Count("MAX_STREAM_DATA", target.OnMaxStreamData(frame.StreamId, frame.MaximumStreamData));

    public QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame) =>
        Count("MAX_STREAMS", target.OnMaxStreams(frame.Bidirectional, frame.MaximumStreams));

    public QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame) => Count("DATA_BLOCKED", target.OnDataBlocked(frame.MaximumData));

    public QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame) =>
        Count("STREAM_DATA_BLOCKED", target.OnStreamDataBlocked(frame.StreamId, frame.MaximumStreamData));

    public QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame) =>
        Count("STREAMS_BLOCKED", target.OnStreamsBlocked(frame.Bidirectional, frame.MaximumStreams));

    public QuicTransportErrorCode OnPadding(PaddingFrame frame) => Unexpected();
    public QuicTransportErrorCode OnPing() => Unexpected();
    public QuicTransportErrorCode OnAck(scoped AckFrame frame) => Unexpected();
    public QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame) => Unexpected();
    public QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame) => Unexpected();
    public QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame) => Unexpected();
    public QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame) => Unexpected();
    public QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame) => Unexpected();
    public QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame) => Unexpected();
    public QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame) => Unexpected();
    public QuicTransportErrorCode OnHandshakeDone() => Unexpected();
    public QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame) => Unexpected();

    private readonly QuicTransportErrorCode Count(string name, QuicTransportErrorCode result)
    {
        counts[name] = counts.GetValueOrDefault(name) + 1;
        return result;
    }

    private static QuicTransportErrorCode Unexpected() => QuicTransportErrorCode.ProtocolViolation;
}

/// <summary>
/// A client and a server <see cref="StreamManager"/> wired through a simulated network: each
/// side's frames are written into 1200-byte packets, parsed with <see cref="QuicFrameParser"/>
/// and delivered to the other side in shuffled order; a seeded random drops packets (their frames
/// reported lost to the sender) and occasionally declares a delivered packet lost (spurious loss,
/// so duplicates arrive).
/// </summary>
internal sealed class StreamPair
{
    public const int PacketSize = 1200;

    private readonly Random _random;
    private readonly double _lossRate;
    private readonly double _spuriousLossRate;

    public StreamPair(int seed = 1, double lossRate = 0, double spuriousLossRate = 0, StreamManagerOptions? client = null, StreamManagerOptions? server = null)
    {
        ClientOptions = client ?? new StreamManagerOptions();
        ServerOptions = server ?? new StreamManagerOptions();
        Client = new StreamManager(isServer: false, ClientOptions);
        Server = new StreamManager(isServer: true, ServerOptions);
        Client.ApplyPeerTransportParameters(ToTransportParameters(ServerOptions));
        Server.ApplyPeerTransportParameters(ToTransportParameters(ClientOptions));
        _random = new Random(seed);
        _lossRate = lossRate;
        _spuriousLossRate = spuriousLossRate;
    }

    public StreamManagerOptions ClientOptions { get; }

    public StreamManagerOptions ServerOptions { get; }

    public StreamManager Client { get; }

    public StreamManager Server { get; }

    /// <summary>Frames of each type the client received.</summary>
    public Dictionary<string, int> ClientReceived { get; } = [];

    /// <summary>Frames of each type the server received.</summary>
    public Dictionary<string, int> ServerReceived { get; } = [];

    public int PacketsSent { get; private set; }

    public static TransportParameters ToTransportParameters(StreamManagerOptions options) => new()
    {
        InitialMaxData = options.InitialMaxData,
        InitialMaxStreamDataBidiLocal = options.InitialMaxStreamDataBidiLocal,
        InitialMaxStreamDataBidiRemote = options.InitialMaxStreamDataBidiRemote,
        InitialMaxStreamDataUni = options.InitialMaxStreamDataUni,
        InitialMaxStreamsBidi = options.MaxStreamsBidi,
        InitialMaxStreamsUni = options.MaxStreamsUni,
    };

    /// <summary>One round trip of both directions: up to <paramref name="maxPackets"/> packets each way. Returns whether anything was sent.</summary>
    public bool Pump(int maxPackets = 64)
    {
        bool any = Exchange(Client, Server, ServerReceived, maxPackets);
        any |= Exchange(Server, Client, ClientReceived, maxPackets);
        return any;
    }

    /// <summary>Pumps until neither side has anything to send.</summary>
    public void PumpUntilQuiet(int maxRounds = 10_000)
    {
        for (int i = 0; i < maxRounds; i++)
        {
            if (!Pump())
            {
                return;
            }
        }

        throw new InvalidOperationException("The pair never went quiet.");
    }

    private bool Exchange(StreamManager sender, StreamManager receiver, Dictionary<string, int> counts, int maxPackets)
    {
        var packets = new List<(byte[] Payload, List<SentFrame> Frames)>();
        while (packets.Count < maxPackets && sender.HasDataToSend)
        {
            var buffer = new byte[PacketSize];
            var writer = new SpanWriter(buffer);
            var frames = new List<SentFrame>();
            sender.WriteFrames(ref writer, frames);
            if (writer.Position == 0)
            {
                throw new InvalidOperationException("HasDataToSend was true but WriteFrames wrote nothing.");
            }

            Assert.Equal(frames.Count == 0, writer.Position == 0);
            packets.Add((buffer[..writer.Position], frames));
        }

        PacketsSent += packets.Count;
        Shuffle(packets);
        foreach ((byte[] payload, List<SentFrame> frames) in packets)
        {
            if (_random.NextDouble() < _lossRate)
            {
                foreach (SentFrame frame in frames)
                {
                    sender.OnFrameLost(frame);
                }

                continue;
            }

            var visitor = new DeliveringVisitor(receiver, counts);
            QuicTransportErrorCode error = QuicFrameParser.Parse(payload, QuicPacketType.OneRtt, ref visitor, out QuicPayloadSummary summary);
            Assert.Equal(QuicTransportErrorCode.NoError, error);
            Assert.Equal(frames.Count, summary.FrameCount);
            bool spurious = _random.NextDouble() < _spuriousLossRate;
            foreach (SentFrame frame in frames)
            {
                if (spurious)
                {
                    sender.OnFrameLost(frame);
                }
                else
                {
                    sender.OnFrameAcked(frame);
                }
            }
        }

        return packets.Count > 0;
    }

    private void Shuffle<T>(List<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
