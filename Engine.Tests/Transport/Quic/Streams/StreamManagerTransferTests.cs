using Engine.Transport.Quic.Streams;

namespace Engine.Tests.Transport.Quic.Streams;

public class StreamManagerTransferTests
{
    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Reads everything the server can, per Readable/Opened event, into per-stream buffers; closes each finished bidi stream's server side.</summary>
    private static void DrainServer(StreamManager server, Dictionary<long, List<byte>> received, HashSet<long> finished, List<StreamEvent>? events = null)
    {
        var chunk = new byte[4096];
        while (server.TryDequeueEvent(out StreamEvent e))
        {
            events?.Add(e);
            if (e.Kind is not (StreamEventKind.Readable or StreamEventKind.Opened) || finished.Contains(e.StreamId))
            {
                continue;
            }

            List<byte> buffer = received.TryGetValue(e.StreamId, out List<byte>? b) ? b : received[e.StreamId] = [];
            bool done;
            int n;
            do
            {
                n = server.Read(e.StreamId, chunk, out done);
                buffer.AddRange(chunk.AsSpan(0, n).ToArray());
            }
            while (n > 0 && !done);

            if (done)
            {
                finished.Add(e.StreamId);
                if ((e.StreamId & 2) == 0)
                {
                    Assert.Equal(0, server.Write(e.StreamId, [], fin: true)); // close our side of the bidi stream
                }
            }
        }
    }

    private static void Transfer(StreamPair pair, byte[][] payloads, int maxRounds = 20_000)
    {
        var ids = new long[payloads.Length];
        var written = new int[payloads.Length];
        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.True(pair.Client.TryOpenStream(bidirectional: true, out ids[i]));
        }

        var received = new Dictionary<long, List<byte>>();
        var finished = new HashSet<long>();
        var clientFinished = new HashSet<long>();
        var chunk = new byte[64];
        for (int round = 0; round < maxRounds && (finished.Count < payloads.Length || clientFinished.Count < payloads.Length || pair.Client.OpenStreamCount > 0 || pair.Server.OpenStreamCount > 0); round++)
        {
            for (int i = 0; i < payloads.Length; i++)
            {
                if (written[i] < payloads[i].Length || (round == 0 && payloads[i].Length == 0))
                {
                    written[i] += pair.Client.Write(ids[i], payloads[i].AsSpan(written[i]), fin: true);
                }
            }

            pair.Pump();
            DrainServer(pair.Server, received, finished);
            while (pair.Client.TryDequeueEvent(out StreamEvent e))
            {
                if (e.Kind == StreamEventKind.Readable)
                {
                    Assert.Equal(0, pair.Client.Read(e.StreamId, chunk, out bool done));
                    Assert.True(done);
                    clientFinished.Add(e.StreamId);
                }
            }
        }

        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.Contains(ids[i], finished);
            Assert.Equal(payloads[i], received.GetValueOrDefault(ids[i])?.ToArray() ?? []);
        }

        Assert.Equal(0, pair.Client.OpenStreamCount);
        Assert.Equal(0, pair.Server.OpenStreamCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Transfer_OneMegabyteOneStreamTenPercentLoss_ArrivesIdentical(int seed)
    {
        var pair = new StreamPair(seed, lossRate: 0.10, spuriousLossRate: 0.02);

        Transfer(pair, [RandomBytes(1 << 20, seed)]);

        Assert.False(pair.Client.HasDataToSend);
    }

    [Fact]
    public void Transfer_HundredStreamsTenKilobytesTenPercentLoss_ArriveIdentical()
    {
        var pair = new StreamPair(seed: 7, lossRate: 0.10, spuriousLossRate: 0.02);
        byte[][] payloads = [.. Enumerable.Range(0, 100).Select(i => RandomBytes(10_000, 100 + i))];

        Transfer(pair, payloads);
    }

    [Fact]
    public void Transfer_FarLargerThanWindows_RaisesWindowsAndReportsBlocked()
    {
        var small = new StreamManagerOptions
        {
            InitialMaxData = 16 * 1024,
            InitialMaxStreamDataBidiLocal = 4 * 1024,
            InitialMaxStreamDataBidiRemote = 4 * 1024,
            InitialMaxStreamDataUni = 4 * 1024,
            SendBufferCapacity = 8 * 1024,
        };
        var pair = new StreamPair(seed: 11, lossRate: 0.10, client: small, server: small);
        byte[][] payloads = [RandomBytes(300_000, 1), RandomBytes(200_000, 2), RandomBytes(0, 3)];

        Transfer(pair, payloads);

        Assert.True(pair.ClientReceived.GetValueOrDefault("MAX_STREAM_DATA") > 100);
        Assert.True(pair.ClientReceived.GetValueOrDefault("MAX_DATA") > 20);
        Assert.True(pair.ServerReceived.GetValueOrDefault("STREAM_DATA_BLOCKED") > 0);
    }

    [Fact]
    public void Transfer_ReceiverNotReading_SenderStopsAtWindowThenResumes()
    {
        var options = new StreamManagerOptions { InitialMaxStreamDataBidiRemote = 10_000, InitialMaxData = 1 << 20 };
        var pair = new StreamPair(client: new StreamManagerOptions(), server: options);
        byte[] payload = RandomBytes(50_000, 5);
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        Assert.Equal(50_000, pair.Client.Write(id, payload, fin: true));

        pair.PumpUntilQuiet();

        Assert.Equal(1, pair.ServerReceived.GetValueOrDefault("STREAM_DATA_BLOCKED"));
        Assert.False(pair.Client.HasDataToSend);
        var buffer = new byte[100_000];
        Assert.True(pair.Server.TryDequeueEvent(out StreamEvent opened));
        Assert.Equal(StreamEventKind.Opened, opened.Kind);
        Assert.Equal(10_000, pair.Server.Read(id, buffer, out bool finished));
        Assert.False(finished);

        int total = 10_000;
        for (int i = 0; i < 100 && !finished; i++)
        {
            pair.Pump();
            total += pair.Server.Read(id, buffer.AsSpan(total), out finished);
        }

        Assert.True(finished);
        Assert.Equal(payload, buffer[..total]);
    }

    [Fact]
    public void Transfer_ConnectionWindowExhausted_SendsDataBlockedOnce()
    {
        var server = new StreamManagerOptions { InitialMaxData = 3000, InitialMaxStreamDataBidiRemote = 2000 };
        var pair = new StreamPair(client: new StreamManagerOptions(), server: server);
        Assert.True(pair.Client.TryOpenStream(true, out long a));
        Assert.True(pair.Client.TryOpenStream(true, out long b));
        pair.Client.Write(a, new byte[5000], fin: false);
        pair.Client.Write(b, new byte[5000], fin: false);

        pair.PumpUntilQuiet();

        Assert.Equal(1, pair.ServerReceived.GetValueOrDefault("DATA_BLOCKED"));
        Assert.Equal(3000, pair.Server.Read(a, new byte[5000], out _) + pair.Server.Read(b, new byte[5000], out _));
    }

    [Fact]
    public void Transfer_SendBufferFull_WritableAfterAcknowledgment()
    {
        var client = new StreamManagerOptions { SendBufferCapacity = 4096 };
        var pair = new StreamPair(client: client, server: new StreamManagerOptions());
        Assert.True(pair.Client.TryOpenStream(true, out long id));

        Assert.Equal(4096, pair.Client.Write(id, new byte[10_000], fin: true));
        Assert.False(pair.Client.TryDequeueEvent(out _));
        pair.Pump();

        Assert.True(pair.Client.TryDequeueEvent(out StreamEvent e));
        Assert.Equal(new StreamEvent(StreamEventKind.Writable, id, 0), e);
        Assert.False(pair.Client.TryDequeueEvent(out _));
        Assert.Equal(4096, pair.Client.Write(id, new byte[10_000], fin: false));
    }

    [Fact]
    public void OpenStream_MoreThanLimitSequentially_CreditReturnedAsStreamsClose()
    {
        var server = new StreamManagerOptions { MaxStreamsBidi = 10 };
        var pair = new StreamPair(seed: 3, lossRate: 0.1, client: new StreamManagerOptions(), server: server);
        var received = new Dictionary<long, List<byte>>();
        var finished = new HashSet<long>();
        var chunk = new byte[16];
        int opened = 0;
        for (int round = 0; round < 5000 && finished.Count < 250; round++)
        {
            while (opened < 250 && pair.Client.TryOpenStream(true, out long id))
            {
                Assert.Equal(5, pair.Client.Write(id, "hello"u8, fin: true));
                opened++;
            }

            Assert.True(pair.Server.OpenStreamCount <= 10);
            pair.Pump();
            DrainServer(pair.Server, received, finished);
            while (pair.Client.TryDequeueEvent(out StreamEvent e))
            {
                if (e.Kind == StreamEventKind.Readable)
                {
                    pair.Client.Read(e.StreamId, chunk, out bool done);
                    Assert.True(done);
                }
            }
        }

        Assert.Equal(250, finished.Count);
        Assert.All(received.Values, v => Assert.Equal("hello"u8.ToArray(), v.ToArray()));
        Assert.True(pair.ServerReceived.GetValueOrDefault("STREAMS_BLOCKED") > 0);
        Assert.True(pair.ClientReceived.GetValueOrDefault("MAX_STREAMS") > 0);
    }
}
