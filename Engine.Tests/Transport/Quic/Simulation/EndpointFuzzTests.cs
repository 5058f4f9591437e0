using System.Net;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>
/// Seeded property tests that play a hostile or broken peer: random and mutated datagrams at a
/// server endpoint, and authentic packets with garbage frames at an established connection.
/// Run alone: the bounded-state check reads the process's managed heap, which tests running in
/// parallel (property tests with large worlds, browsers) would grow.
/// </summary>
[Collection(nameof(EndpointFuzzTests))]
[CollectionDefinition(nameof(EndpointFuzzTests), DisableParallelization = true)]
public sealed class EndpointFuzzTests
{
    [Fact]
    public void HandleDatagram_HundredThousandRandomAndMutatedDatagrams_NoExceptionAndBoundedState()
    {
        List<byte[]> corpus = CaptureClientDatagrams();
        var random = new Random(20261128);
        using var endpoint = new QuicEndpoint(new QuicEndpointOptions
        {
            Server = new QuicServerOptions
            {
                Tls = new TlsServerOptions { Certificate = QuicTestPair.CreateCertificate(TimeSpan.FromDays(10)), ApplicationProtocols = ["h3"] },
                Transport = new QuicTransportOptions { IdleTimeout = TimeSpan.FromSeconds(5) },
            },
            MaxConnections = 64,
        });
        byte[] transmit = new byte[65536];
        TimeSpan now = TimeSpan.FromSeconds(1);
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        int maxConnections = 0;

        for (int i = 0; i < 100_000; i++)
        {
            byte[] datagram = (i % 4) switch
            {
                0 => RandomDatagram(random),
                1 or 2 => Mutate(corpus[random.Next(corpus.Count)], corpus[random.Next(corpus.Count)], random),
                _ => corpus[random.Next(corpus.Count)],
            };
            var from = new IPEndPoint(IPAddress.Loopback, 1000 + random.Next(50));
            endpoint.HandleDatagram(from, datagram, now);
            while (endpoint.PollTransmit(now, transmit, out _) > 0)
            {
            }

            if (i % 100 == 0)
            {
                now += TimeSpan.FromMilliseconds(random.Next(1, 500));
                endpoint.HandleTimeout(now);
            }

            maxConnections = Math.Max(maxConnections, endpoint.ConnectionCount);
        }

        Assert.True(maxConnections <= 64);
        Assert.True(endpoint.InternalErrors == 0, $"our code threw: {endpoint.LastInternalError}");
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"memory grew by {(memoryAfter - memoryBefore) / 1024} KiB");
        Assert.True(endpoint.DatagramsDropped > 50_000, $"only {endpoint.DatagramsDropped} datagrams dropped");
    }

    [Fact]
    public void HandleDatagram_AuthenticPacketsWithGarbageFrames_CloseWithTheParsersErrorCode()
    {
        var random = new Random(7);
        int closes = 0;
        for (int round = 0; round < 40; round++)
        {
            using var pair = new QuicTestPair(seed: 1000 + round);
            Assert.True(pair.ConnectAndHandshake());
            for (int attempt = 0; attempt < 50 && !pair.Server!.IsClosing; attempt++)
            {
                byte[] frames = RandomFrames(random);
                QuicTransportErrorCode expected = ExpectedParseError(frames);
                byte[] packet = new byte[frames.Length + 64];
                int length = pair.Client!.SealRawPacket(QuicPacketSpace.ApplicationData, frames, packet, pair.Network.Now);
                pair.Network.Inject(QuicTestPair.ClientAddress, QuicTestPair.ServerAddress, packet[..length]);
                pair.Network.RunFor(TimeSpan.FromMilliseconds(5)); // deliver it without letting timers (idle) run far ahead

                if (expected != QuicTransportErrorCode.NoError)
                {
                    // The wire parser alone rejects these bytes, so the connection must close with its code.
                    Assert.True(pair.Server.IsClosing, $"frames {Convert.ToHexString(frames)} should close with {expected}");
                    Assert.True(
                        pair.Server.CloseInfo!.Origin == QuicCloseOrigin.LocalTransportError && pair.Server.CloseInfo.ErrorCode == (ulong)expected,
                        $"frames {Convert.ToHexString(frames)}: expected {expected}, closed with {pair.Server.CloseInfo}");
                }

                if (pair.Server.IsClosing && pair.Server.CloseInfo!.Origin == QuicCloseOrigin.LocalTransportError)
                {
                    closes++;
                    Assert.True(pair.Network.RunUntil(() => pair.Client!.IsClosing, 1_000), "the client never heard the CONNECTION_CLOSE");
                    Assert.Equal(pair.Server.CloseInfo!.ErrorCode, pair.Client!.CloseInfo!.ErrorCode);
                }
            }
        }

        Assert.True(closes >= 30, $"only {closes} rounds ended in a close");
    }

    private static QuicTransportErrorCode ExpectedParseError(byte[] frames)
    {
        // Only a failure in the first frame is certain to be what the connection reports: a valid
        // first frame may already close it for its own reason (e.g. STREAM_STATE_ERROR).
        var visitor = new AcceptAll();
        QuicTransportErrorCode error = QuicFrameParser.Parse(frames, QuicPacketType.OneRtt, ref visitor, out QuicPayloadSummary summary);
        return summary.ErrorOffset == 0 ? error : QuicTransportErrorCode.NoError;
    }

    private static byte[] RandomFrames(Random random)
    {
        // Mostly a real frame type followed by random bytes, so parsing gets past the first byte.
        // At least 4 bytes, so the sealing hook never pads them (padding would change how they parse).
        byte[] frames = new byte[random.Next(4, 40)];
        random.NextBytes(frames);
        frames[0] = random.Next(4) == 0 ? (byte)random.Next(256) : (byte)random.Next(0x00, 0x32);
        return frames;
    }

    private static byte[] RandomDatagram(Random random)
    {
        byte[] datagram = new byte[random.Next(0, 1500)];
        random.NextBytes(datagram);
        if (datagram.Length > 5 && random.Next(2) == 0)
        {
            datagram[0] = (byte)(0xc0 | random.Next(0x40)); // long header
            datagram[1] = 0; datagram[2] = 0; datagram[3] = 0; datagram[4] = 1; // version 1
        }

        return datagram;
    }

    private static byte[] Mutate(byte[] original, byte[] other, Random random)
    {
        byte[] copy = (byte[])original.Clone();
        switch (random.Next(5))
        {
            case 0:
                for (int flips = random.Next(1, 9); flips > 0; flips--)
                {
                    copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                }

                return copy;
            case 1:
                return copy[..random.Next(copy.Length)];
            case 2:
                copy[random.Next(Math.Min(copy.Length, 60))] = (byte)random.Next(256); // header fields
                return copy;
            case 3:
                return [.. copy.AsSpan(0, random.Next(copy.Length)), .. other];
            default:
                random.NextBytes(copy.AsSpan(random.Next(copy.Length)));
                return copy;
        }
    }

    /// <summary>Client datagrams from a real handshake, a stream and some datagrams: the mutation corpus.</summary>
    private static List<byte[]> CaptureClientDatagrams()
    {
        var corpus = new List<byte[]>();
        using var pair = new QuicTestPair(seed: 99);
        pair.Network.OnSend = (from, datagram) =>
        {
            if (from.Equals(QuicTestPair.ClientAddress))
            {
                corpus.Add((byte[])datagram.Clone());
            }
        };
        Assert.True(pair.ConnectAndHandshake());
        Assert.True(pair.Client!.TryOpenStream(bidirectional: true, out long streamId));
        pair.QueueWrite(pair.Client, streamId, new byte[5000]);
        pair.Client.TrySendDatagram(new byte[100]);
        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(streamId), 10_000));
        Assert.True(corpus.Count >= 5);
        return corpus;
    }

    private struct AcceptAll : IQuicFrameVisitor
    {
        public readonly QuicTransportErrorCode OnPadding(PaddingFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPing() => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnAck(scoped AckFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStopSending(in StopSendingFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStream(scoped StreamFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnMaxData(in MaxDataFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnHandshakeDone() => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame) => QuicTransportErrorCode.NoError;
    }
}
