using System.Buffers.Binary;
using System.Net.WebSockets;
using Engine.Transport.Abstractions;
using Engine.Transport.WebSockets;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Transport.WebSockets;

public class WebSocketTransportSessionSendTests
{
    private const byte ReliableTag = (byte)'R';
    private const byte UnreliableTag = (byte)'U';

    [Fact]
    public async Task TrySendReliable_ManyMessagesOfMixedSizes_ArriveInOrderAndByteIdentical()
    {
        const int Count = 1000;
        var options = new WebSocketSessionOptions { SendQueueCapacity = 2048 };
        byte[][] expected = [.. Enumerable.Range(0, Count).Select(MixedPayload)];
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            foreach (byte[] message in expected)
            {
                Assert.True(session.TrySendReliable(message));
            }

            await session.ReceiveUntilClosedAsync();
        });

        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            for (int i = 0; i < Count; i++)
            {
                ClientMessage message = await client.ReceiveWholeAsync();
                Assert.Equal(WebSocketMessageType.Binary, message.Type);
                Assert.Equal(expected[i], message.Payload);
            }

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken).WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
        }

        await session.WhenClosedAsync();
        Assert.Equal(Count, session.ReliableMessagesSent);
        Assert.Equal(expected.Sum(m => (long)m.Length), session.BytesSent);
        Assert.Equal("websocket", session.TransportName);
    }

    [Fact]
    public async Task SendUnreliable_BurstOf100ToClientNotReading_InOrderEachDeliveredOrReplacedEndingWithNewest()
    {
        const int Burst = 100;
        var burstDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(WebSocketSessionOptions.Default, async session =>
        {
            for (int i = 0; i < Burst; i++)
            {
                Assert.True(session.SendUnreliable(0, Tagged(UnreliableTag, i, 8)));
            }

            burstDone.SetResult();
            await session.ReceiveUntilClosedAsync();
        });

        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await burstDone.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);

            // The newest datagram is never replaced, so it must arrive; read up to it.
            var delivered = new List<int>();
            do
            {
                ClientMessage message = await client.ReceiveWholeAsync();
                Assert.Equal(UnreliableTag, message.Payload[0]);
                delivered.Add(BinaryPrimitives.ReadInt32LittleEndian(message.Payload.AsSpan(1)));
            }
            while (delivered[^1] != Burst - 1);

            TestContext.Current.TestOutputHelper?.WriteLine($"delivered {delivered.Count} of {Burst}: {string.Join(",", delivered)}");
            Assert.True(delivered.SequenceEqual(delivered.Order().Distinct()), $"deliveries out of order: {string.Join(",", delivered)}");

            // Every datagram was either written or replaced by a newer one, none queued up. How
            // many the writer caught between two sends depends on scheduling; that replacement
            // leaves only the newest is the next test's job.
            Assert.Equal(Burst, delivered.Count + session.UnreliableDropped);
        }
    }

    [Fact]
    public async Task SendUnreliable_BurstWhileTheWriterIsInsideABlockedSend_OnlyTheNewestIsDelivered()
    {
        const int Burst = 100;
        // 16 MiB (the largest message) cannot fit in the TCP buffers of a client that does not
        // read (Linux loopback: at most tcp_wmem + tcp_rmem, 4 + 6 MiB), so once the writer has
        // taken it off the queue it stays inside that send until the client reads.
        var options = new WebSocketSessionOptions { MaxMessageBytes = WebSocketSessionOptions.MaxMessageBytesLimit, MaxSendMessageBytes = WebSocketSessionOptions.MaxMessageBytesLimit };
        byte[] big = new byte[WebSocketSessionOptions.MaxMessageBytesLimit];
        big[0] = ReliableTag;
        var burstDone = new TaskCompletionSource<(long Dropped, long BytesSent)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            Assert.True(session.TrySendReliable(big));
            await WaitUntilAsync(() => session.QueuedReliableMessages == 0); // the writer took it: it is inside the send
            for (int i = 0; i < Burst; i++)
            {
                Assert.True(session.SendUnreliable(0, Tagged(UnreliableTag, i, 8)));
            }

            burstDone.SetResult((session.UnreliableDropped, session.BytesSent));
            await session.ReceiveUntilClosedAsync();
        });

        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            (long droppedInBurst, long bytesSentDuringBurst) = await burstDone.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            ClientMessage first = await client.ReceiveWholeAsync(TimeSpan.FromSeconds(60));
            ClientMessage second = await client.ReceiveWholeAsync(TimeSpan.FromSeconds(60));

            Assert.True(bytesSentDuringBurst == 0, $"the 16 MiB send completed before the burst ended ({bytesSentDuringBurst} bytes sent): this machine's TCP buffers hold it, so the writer was not blocked");
            Assert.Equal(Burst - 1, droppedInBurst);
            Assert.Equal(big.Length, first.Payload.Length);
            Assert.Equal(ReliableTag, first.Payload[0]);
            Assert.Equal(UnreliableTag, second.Payload[0]);
            Assert.Equal(Burst - 1, BinaryPrimitives.ReadInt32LittleEndian(second.Payload.AsSpan(1)));
            Assert.Equal(Burst - 1, session.UnreliableDropped);
        }
    }

    [Fact]
    public async Task SendUnreliable_LargeReliableBacklog_DatagramOvertakesTheQueue()
    {
        const int Backlog = 2000;
        var options = new WebSocketSessionOptions { SendQueueCapacity = 4096, MaxMessageBytes = 16 * 1024 };
        var offered = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            for (int i = 0; i < Backlog; i++)
            {
                Assert.True(session.TrySendReliable(Tagged(ReliableTag, i, 16 * 1024)));
            }

            Assert.True(session.SendUnreliable(1, Tagged(UnreliableTag, 7, 8)));

            // Every message still queued now must arrive after the datagram.
            offered.SetResult(session.QueuedReliableMessages);
            await session.ReceiveUntilClosedAsync();
        });

        using ClientWebSocket client = await server.ConnectAsync();
        int queuedAfterOffer = await offered.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
        Assert.True(queuedAfterOffer > 100, $"only {queuedAfterOffer} messages were queued; the test needs a real backlog");

        int reliableReceived = 0;
        int reliableBeforeDatagram = -1;
        while (reliableReceived < Backlog)
        {
            ClientMessage message = await client.ReceiveWholeAsync();
            if (message.Payload[0] == UnreliableTag)
            {
                Assert.Equal(-1, reliableBeforeDatagram);
                reliableBeforeDatagram = reliableReceived;
                continue;
            }

            Assert.Equal(reliableReceived, BinaryPrimitives.ReadInt32LittleEndian(message.Payload.AsSpan(1)));
            reliableReceived++;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"queued when offered: {queuedAfterOffer}; datagram arrived after {reliableBeforeDatagram} reliable messages");
        Assert.True(reliableBeforeDatagram >= 0, "the datagram did not arrive before the last reliable message");
        Assert.True(
            Backlog - reliableBeforeDatagram >= queuedAfterOffer,
            $"the datagram arrived after {reliableBeforeDatagram} reliable messages, behind part of the {queuedAfterOffer} queued when it was offered");
    }

    [Fact]
    public async Task TrySendReliable_ClientNeverReads_ClosesWithSlowConsumerWhileHealthyClientKeepsReceiving()
    {
        var options = new WebSocketSessionOptions
        {
            MaxMessageBytes = 256 * 1024,
            SendQueueCapacity = 16,
            CloseTimeout = TimeSpan.FromSeconds(1),
        };
        byte[] chunk = new byte[128 * 1024];
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            Task receiving = session.ReceiveUntilClosedAsync();
            while (session.TrySendReliable(chunk))
            {
                await Task.Delay(5, CancellationToken.None);
            }

            await receiving;
        });

        var (slowClient, slowSession) = await server.ConnectPairAsync();
        var (healthyClient, healthySession) = await server.ConnectPairAsync();
        using (slowClient)
        using (healthyClient)
        {
            long healthyReceived = 0;
            Task healthyReading = Task.Run(async () =>
            {
                while (!(await healthyClient.ReceiveWholeAsync(TimeSpan.FromSeconds(60))).IsClose)
                {
                    Interlocked.Increment(ref healthyReceived);
                }
            }, TestContext.Current.CancellationToken);

            // Filling the TCP buffers takes a moment; the wait is generous for a busy machine.
            await slowSession.WhenClosedAsync(TimeSpan.FromSeconds(60));
            SessionCloseInfo? info = slowSession.CloseInfo;
            Assert.NotNull(info);
            Assert.Equal(SessionCloseCode.SlowConsumer, info.Code);
            Assert.False(info.ByPeer);
            Assert.Equal("send queue full (16 messages): client is not reading fast enough", info.Reason);
            Assert.Contains(server.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("slow consumer", StringComparison.Ordinal));

            long before = Interlocked.Read(ref healthyReceived);
            await WaitUntilAsync(() => Interlocked.Read(ref healthyReceived) >= before + 20);
            Assert.Null(healthySession.CloseInfo);

            // The slow client's connection ends (close frame or abort) once it does read.
            await DrainUntilEndAsync(slowClient);

            await healthyClient.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", TestContext.Current.CancellationToken);
            await healthyReading.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
            await healthySession.WhenClosedAsync();
            Assert.Equal(new SessionCloseInfo(SessionCloseCode.Normal, "bye", ByPeer: true), healthySession.CloseInfo);
        }
    }

    [Fact]
    public async Task SendUnreliable_ChannelOutsideRange_ThrowsArgumentOutOfRange()
    {
        var options = new WebSocketSessionOptions { UnreliableChannels = 2 };
        await using var server = await WebSocketTestServer.StartAsync(options, session => session.ReceiveUntilClosedAsync());
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => session.SendUnreliable(2, [1]));
            Assert.Contains("channels 0 to 1", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => session.SendUnreliable(-1, [1]));
            Assert.True(session.SendUnreliable(1, [1]));
        }
    }

    [Fact]
    public async Task TrySendReliable_MessageAboveLimit_ThrowsArgumentException()
    {
        var options = new WebSocketSessionOptions { MaxSendMessageBytes = 100 };
        await using var server = await WebSocketTestServer.StartAsync(options, session => session.ReceiveUntilClosedAsync());
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var error = Assert.Throws<ArgumentException>(() => session.TrySendReliable(new byte[101]));
            Assert.Contains("101 bytes", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => session.SendUnreliable(0, new byte[101]));
            Assert.True(session.TrySendReliable(new byte[100]));
            Assert.Null(session.CloseInfo);
        }
    }

    private static byte[] MixedPayload(int index)
    {
        var random = new Random(index);
        byte[] payload = new byte[index % 10 == 0 ? 0 : random.Next(1, 4000)];
        random.NextBytes(payload);
        return payload;
    }

    private static byte[] Tagged(byte tag, int number, int length)
    {
        byte[] payload = new byte[length];
        payload[0] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(1), number);
        return payload;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(WebSocketTestServer.Timeout);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    private static async Task DrainUntilEndAsync(ClientWebSocket client)
    {
        byte[] buffer = new byte[256 * 1024];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while ((await client.ReceiveAsync(buffer, deadline.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
            // The server aborted the connection: also an end.
        }
    }
}
