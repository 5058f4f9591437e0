using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using Engine.Transport.Abstractions;
using Engine.Transport.WebSockets;

namespace Engine.Tests.Transport.WebSockets;

public class WebSocketTransportSessionCloseTests
{
    [Fact]
    public async Task CloseAsync_MessagesStillQueued_FlushesThemBeforeTheCloseFrame()
    {
        const int Count = 400;
        var options = new WebSocketSessionOptions
        {
            MaxMessageBytes = 64 * 1024,
            SendQueueCapacity = 512,
            CloseTimeout = TimeSpan.FromSeconds(10),
        };
        var closing = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            for (int i = 0; i < Count; i++)
            {
                Assert.True(session.TrySendReliable(Numbered(i, 64 * 1024)));
            }

            // The client is not reading yet, so the TCP buffers fill and messages stay queued.
            int queuedAtClose = session.QueuedReliableMessages;
            ValueTask close = session.CloseAsync(SessionCloseCode.Normal, "done");
            closing.SetResult(queuedAtClose);
            await close;
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            int queuedAtClose = await closing.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
            Assert.True(queuedAtClose > 0, "nothing was queued when the close began; the test needs a backlog");

            var (messages, close) = await client.ReceiveUntilCloseAsync();
            Assert.Equal(Enumerable.Range(0, Count), messages.Select(m => BinaryPrimitives.ReadInt32LittleEndian(m)));
            Assert.All(messages, m => Assert.Equal(64 * 1024, m.Length));
            Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
            Assert.Equal("done", close.CloseDescription);
        }

        await session.WhenClosedAsync();
        Assert.Equal(new SessionCloseInfo(SessionCloseCode.Normal, "done", ByPeer: false), session.CloseInfo);
        Assert.Equal(Count, session.ReliableMessagesSent);
    }

    [Fact]
    public async Task CloseAsync_CalledRepeatedly_FirstCloseWins()
    {
        var sendsAfterClose = new TaskCompletionSource<(bool Reliable, bool Unreliable)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(WebSocketSessionOptions.Default, async session =>
        {
            ValueTask first = session.CloseAsync(SessionCloseCode.Normal, "first");
            ValueTask second = session.CloseAsync(SessionCloseCode.PolicyViolation, "second");
            await first;
            await second;
            await session.CloseAsync(SessionCloseCode.InternalError, "third");
            sendsAfterClose.SetResult((session.TrySendReliable([1]), session.SendUnreliable(0, [1])));
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var (messages, close) = await client.ReceiveUntilCloseAsync();
            Assert.Empty(messages);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
            Assert.Equal("first", close.CloseDescription);
        }

        Assert.Equal((false, false), await sendsAfterClose.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(new SessionCloseInfo(SessionCloseCode.Normal, "first", ByPeer: false), session.CloseInfo);
    }

    [Fact]
    public async Task CloseAsync_ReasonOver123Utf8Bytes_SendsItCutAtACharacterBoundary()
    {
        string reason = new('é', 100);
        await using var server = await WebSocketTestServer.StartAsync(WebSocketSessionOptions.Default, async session =>
            await session.CloseAsync(SessionCloseCode.TryAgainLater, reason));
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var (_, close) = await client.ReceiveUntilCloseAsync();
            Assert.Equal((WebSocketCloseStatus)1013, close.CloseStatus);
            Assert.Equal(new string('é', 61), close.CloseDescription);
        }

        // The session keeps the whole reason for logs and the host.
        await session.WhenClosedAsync();
        Assert.Equal(reason, session.CloseInfo?.Reason);
    }

    [Fact]
    public async Task CloseAsync_CodeNotAllowedInACloseFrame_ThrowsArgumentOutOfRange()
    {
        var error = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(WebSocketSessionOptions.Default, async session =>
        {
            error.SetResult(await Record.ExceptionAsync(async () => await session.CloseAsync((SessionCloseCode)1006, "abnormal", TestContext.Current.CancellationToken)));
            await session.ReceiveUntilClosedAsync();
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var exception = Assert.IsType<ArgumentOutOfRangeException>(await error.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
            Assert.Contains("1006 cannot be sent", exception.Message, StringComparison.Ordinal);
            Assert.Null(session.CloseInfo);
        }
    }

    [Fact]
    public async Task CloseAsync_PeerNeverAnswers_AbortsAfterTheTimeoutAndCompletes()
    {
        var options = new WebSocketSessionOptions { CloseTimeout = TimeSpan.FromMilliseconds(300) };
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            await session.CloseAsync(SessionCloseCode.Normal, "bye");
            closed.SetResult();
        });

        // The client neither reads nor answers the close frame.
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await closed.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(new SessionCloseInfo(SessionCloseCode.Normal, "bye", ByPeer: false), session.CloseInfo);
            Assert.Contains(server.Log.Entries, e => e.Message.Contains("did not answer the close frame", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task CloseAsync_ClientNeverReadsTheBacklog_AbortsAfterTheFlushTimeoutAndCompletes()
    {
        var options = new WebSocketSessionOptions
        {
            MaxMessageBytes = 256 * 1024,
            SendQueueCapacity = 256,
            CloseTimeout = TimeSpan.FromMilliseconds(300),
        };
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            // 64 MiB cannot fit in the TCP buffers of a client that does not read.
            byte[] chunk = new byte[256 * 1024];
            for (int i = 0; i < 256; i++)
            {
                Assert.True(session.TrySendReliable(chunk));
            }

            await session.CloseAsync(SessionCloseCode.Normal, "bye");
            closed.SetResult();
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await closed.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
            Assert.Contains(server.Log.Entries, e => e.Message.Contains("could not write its queued messages", StringComparison.Ordinal));
            Assert.True(session.ReliableMessagesSent < 256);
        }
    }

    [Fact]
    public async Task DisposeAsync_SessionStillOpen_SendsGoingAwayAfterQueuedMessages()
    {
        await using var server = await WebSocketTestServer.StartAsync(WebSocketSessionOptions.Default, async session =>
        {
            Assert.True(session.TrySendReliable([42]));
            await session.DisposeAsync();
            await session.DisposeAsync();
            Assert.False(session.TrySendReliable([43]));
            Assert.True((await session.ReceiveAsync(TestContext.Current.CancellationToken)).IsClosed);
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var (messages, close) = await client.ReceiveUntilCloseAsync();
            Assert.Equal([[42]], messages);
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            Assert.Equal("session disposed", close.CloseDescription);
        }

        await session.WhenClosedAsync();
        Assert.Equal(new SessionCloseInfo(SessionCloseCode.GoingAway, "session disposed", ByPeer: false), session.CloseInfo);
    }

    [Fact]
    public async Task Closed_SessionClosesInsideTrySendReliable_CallbacksRunOutsideTheSend()
    {
        var options = new WebSocketSessionOptions { SendQueueCapacity = 1, MaxMessageBytes = 1024 * 1024 };
        var callback = new TaskCompletionSource<(bool InsideSend, bool SendResult)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var insideSend = new ThreadLocal<bool>();
        await using var server = await WebSocketTestServer.StartAsync(options, async session =>
        {
            session.Closed.Register(() => callback.TrySetResult((insideSend.Value, session.TrySendReliable([1]))));

            // The client does not read, so the one-message queue overflows and the session closes
            // from inside TrySendReliable, on the sender's thread.
            byte[] chunk = new byte[1024 * 1024];
            bool sent;
            do
            {
                insideSend.Value = true;
                sent = session.TrySendReliable(chunk);
                insideSend.Value = false;
            }
            while (sent);

            await session.ReceiveUntilClosedAsync();
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var (callbackInsideSend, sendResult) = await callback.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
            Assert.False(callbackInsideSend, "a Closed callback ran inside TrySendReliable");
            Assert.False(sendResult);
            Assert.Equal(SessionCloseCode.SlowConsumer, session.CloseInfo?.Code);
            client.Abort();
        }
    }

    [Fact]
    public async Task ObserveRoundTrip_TwoSamples_ReportsRfc6298SmoothedTime()
    {
        await using var server = await WebSocketTestServer.StartAsync(WebSocketSessionOptions.Default, session => session.ReceiveUntilClosedAsync());
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            Assert.Null(session.RoundTripTime);
            session.ObserveRoundTrip(TimeSpan.FromMilliseconds(100));
            Assert.Equal(TimeSpan.FromMilliseconds(100), session.RoundTripTime);
            session.ObserveRoundTrip(TimeSpan.FromMilliseconds(200));
            Assert.Equal(TimeSpan.FromMilliseconds(112.5), session.RoundTripTime);
            Assert.Equal("127.0.0.1", (session.RemoteEndPoint as System.Net.IPEndPoint)?.Address.ToString());
            Assert.StartsWith("ws-", session.Id, StringComparison.Ordinal);
        }
    }

    private static byte[] Numbered(int number, int length)
    {
        byte[] payload = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(payload, number);
        Encoding.ASCII.GetBytes("payload").CopyTo(payload, 4);
        return payload;
    }
}
