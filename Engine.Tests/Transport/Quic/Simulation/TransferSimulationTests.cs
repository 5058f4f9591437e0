using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Simulation;

public sealed class TransferSimulationTests
{
    private static readonly NetworkConditions FivePercentLossWithReordering = new()
    {
        Loss = 0.05,
        Reordering = 0.2,
        Jitter = TimeSpan.FromMilliseconds(4),
    };

    [Theory]
    [InlineData(101)]
    [InlineData(102)]
    [InlineData(103)]
    public void Stream_OneMegabyteUnderFivePercentLoss_ArrivesByteIdentical(int seed)
    {
        using var pair = new QuicTestPair(seed);
        pair.ClientToServer = FivePercentLossWithReordering;
        pair.ServerToClient = FivePercentLossWithReordering;
        Assert.True(pair.ConnectAndHandshake(maxSteps: 50_000));
        byte[] payload = RandomBytes(seed, 1 << 20);

        Assert.True(pair.Client!.TryOpenStream(bidirectional: true, out long streamId));
        pair.QueueWrite(pair.Client, streamId, payload);
        bool done = pair.Network.RunUntil(() => pair.ServerFinished.Contains(streamId), 500_000);

        Assert.True(done, $"transfer stalled at {pair.ServerReceived.GetValueOrDefault(streamId)?.Length ?? 0} bytes; client close: {pair.Client.CloseInfo}; server close: {pair.Server?.CloseInfo}");
        Assert.Equal(payload, pair.ServerReceived[streamId].ToArray());
        Assert.True(pair.Network.DatagramsLost > 0);
    }

    [Fact]
    public void Streams_HundredTimesTenKilobytesUnderFivePercentLoss_AllArriveByteIdentical()
    {
        using var pair = new QuicTestPair(seed: 200);
        pair.ClientToServer = FivePercentLossWithReordering;
        pair.ServerToClient = FivePercentLossWithReordering;
        Assert.True(pair.ConnectAndHandshake(maxSteps: 50_000));
        var sent = new Dictionary<long, byte[]>();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(pair.Client!.TryOpenStream(bidirectional: i % 2 == 0, out long streamId), $"stream {i} refused");
            byte[] payload = RandomBytes(i, 10 * 1024);
            sent[streamId] = payload;
            pair.QueueWrite(pair.Client, streamId, payload);
        }

        bool done = pair.Network.RunUntil(() => sent.Keys.All(pair.ServerFinished.Contains), 500_000);

        Assert.True(done, $"{pair.ServerFinished.Count} of 100 streams finished");
        foreach ((long streamId, byte[] payload) in sent)
        {
            Assert.Equal(payload, pair.ServerReceived[streamId].ToArray());
        }
    }

    [Fact]
    public void Stream_ServerRepliesOnBidirectionalStream_ClientReadsReply()
    {
        using var pair = new QuicTestPair(seed: 300);
        Assert.True(pair.ConnectAndHandshake());
        Assert.True(pair.Client!.TryOpenStream(bidirectional: true, out long streamId));
        pair.QueueWrite(pair.Client, streamId, "ping"u8.ToArray());
        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(streamId), 10_000));

        pair.QueueWrite(pair.Server!, streamId, "pong"u8.ToArray());
        Assert.True(pair.Network.RunUntil(() => pair.ClientFinished.Contains(streamId), 10_000));

        Assert.Equal("pong"u8.ToArray(), pair.ClientReceived[streamId].ToArray());
    }

    [Fact]
    public void Datagrams_UnderLoss_ArriveWhenNotLostAndAreNeverRetransmitted()
    {
        using var pair = new QuicTestPair(seed: 400);
        Assert.True(pair.ConnectAndHandshake());
        pair.ClientToServer = new NetworkConditions { Loss = 0.2 };
        int sent = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 10; i++)
            {
                byte[] payload = BitConverter.GetBytes(sent++);
                Assert.True(pair.Client!.TrySendDatagram(payload), $"refused datagram {sent}: client {pair.Client.CloseInfo}, server {pair.Server!.CloseInfo}");
            }

            pair.Network.RunFor(TimeSpan.FromMilliseconds(50));
        }

        pair.Network.RunFor(TimeSpan.FromSeconds(2)); // let loss recovery run its course

        var received = pair.ServerDatagrams.Select(d => BitConverter.ToInt32(d)).ToList();
        Assert.Equal(received.Count, received.Distinct().Count()); // nothing delivered twice
        Assert.All(received, value => Assert.InRange(value, 0, sent - 1));
        Assert.InRange(received.Count, sent / 2, sent - 1); // some lost, most arrive, none resent
    }

    [Fact]
    public void Datagram_LargerThanPeerAllows_IsRefused()
    {
        using var pair = new QuicTestPair(seed: 401);
        Assert.True(pair.ConnectAndHandshake());

        Assert.False(pair.Client!.TrySendDatagram(new byte[pair.Client.MaxDatagramPayloadSize + 1]));
        Assert.True(pair.Client.TrySendDatagram(new byte[pair.Client.MaxDatagramPayloadSize]));
        Assert.True(pair.Network.RunUntil(() => pair.ServerDatagrams.Count == 1, 1_000));
    }

    [Fact]
    public void DatagramReceiveQueue_WhenAppDoesNotRead_DropsOldest()
    {
        var transport = new QuicTransportOptions { DatagramReceiveQueueCapacity = 4 };
        using var pair = new QuicTestPair(seed: 402, transport);
        Assert.True(pair.ConnectAndHandshake());
        pair.Network.AfterStep = null; // the application stops reading

        for (int i = 0; i < 10; i++)
        {
            Assert.True(pair.Client!.TrySendDatagram([(byte)i]));
        }

        pair.Network.RunUntil(() => pair.Server!.PendingDatagramCount == 4 && pair.Server.Statistics.DatagramFramesDropped == 6, 1_000);

        Span<byte> buffer = stackalloc byte[16];
        var values = new List<byte>();
        while (pair.Server!.TryReceiveDatagram(buffer, out int length))
        {
            values.Add(buffer[..length][0]);
        }

        Assert.Equal([6, 7, 8, 9], values);
    }

    [Fact]
    public void Corruption_OnEstablishedConnection_PacketsDroppedTransferCompletes()
    {
        using var pair = new QuicTestPair(seed: 500);
        Assert.True(pair.ConnectAndHandshake());
        pair.ClientToServer = new NetworkConditions { Corruption = 0.1 };
        pair.ServerToClient = new NetworkConditions { Corruption = 0.1 };
        byte[] payload = RandomBytes(500, 200_000);
        Assert.True(pair.Client!.TryOpenStream(bidirectional: false, out long streamId));
        pair.QueueWrite(pair.Client, streamId, payload);

        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(streamId), 200_000));

        Assert.Equal(payload, pair.ServerReceived[streamId].ToArray());
        Assert.True(pair.Server!.Statistics.PacketsDropped > 0, "corrupted packets should fail authentication");
        Assert.Null(pair.Server.CloseInfo);
    }

    [Fact]
    public void Mtu_1200Path_TransferCompletes()
    {
        using var pair = new QuicTestPair(seed: 600);
        pair.ClientToServer = new NetworkConditions { Mtu = 1200 };
        pair.ServerToClient = new NetworkConditions { Mtu = 1200 };
        Assert.True(pair.ConnectAndHandshake());
        byte[] payload = RandomBytes(600, 100_000);
        Assert.True(pair.Client!.TryOpenStream(bidirectional: true, out long streamId));
        pair.QueueWrite(pair.Client, streamId, payload);

        Assert.True(pair.Network.RunUntil(() => pair.ServerFinished.Contains(streamId), 100_000));
        Assert.Equal(0, pair.Network.DatagramsTooBig);
    }

    [Fact]
    public void StopSending_FromServer_ClientSeesItAndResetsWithTheSameCode()
    {
        using var pair = new QuicTestPair(seed: 310);
        Assert.True(pair.ConnectAndHandshake());
        Assert.True(pair.Client!.TryOpenStream(bidirectional: true, out long streamId));
        Assert.Equal(5, pair.Client.WriteStream(streamId, "hello"u8, fin: false));
        Assert.True(pair.Network.RunUntil(() => pair.ServerReceived.TryGetValue(streamId, out MemoryStream? s) && s.Length == 5, 10_000));

        pair.Server!.StopSending(streamId, 7);
        Assert.True(pair.Network.RunUntil(
            () => pair.ServerEvents.Contains(new QuicConnectionEvent(QuicConnectionEventKind.StreamPeerReset, streamId, 7)), 10_000));

        Assert.Contains(new QuicConnectionEvent(QuicConnectionEventKind.StreamPeerStopSending, streamId, 7), pair.ClientEvents);
        Assert.Null(pair.Client.CloseInfo);
        Assert.Null(pair.Server.CloseInfo);
    }

    internal static byte[] RandomBytes(int seed, int length)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
