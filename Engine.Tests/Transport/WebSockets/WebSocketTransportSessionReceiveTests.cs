using System.Net.WebSockets;
using System.Text;
using Engine.Transport.Abstractions;
using Engine.Transport.WebSockets;

namespace Engine.Tests.Transport.WebSockets;

public class WebSocketTransportSessionReceiveTests
{
    private static readonly WebSocketSessionOptions SmallMessages = new() { MaxMessageBytes = 1024 };

    [Fact]
    public async Task ReceiveAsync_FragmentedMessageOfExactlyTheLimit_ReturnsItWhole()
    {
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, EchoAsync);
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            byte[] message = new byte[1024];
            new Random(42).NextBytes(message);
            await client.SendBinaryAsync(message[..300], endOfMessage: false);
            await client.SendBinaryAsync(message[300..600], endOfMessage: false);
            await client.SendBinaryAsync(message[600..], endOfMessage: true);
            await client.SendBinaryAsync([]);

            Assert.Equal(message, (await client.ReceiveWholeAsync()).Payload);
            Assert.Empty((await client.ReceiveWholeAsync()).Payload);
            Assert.Equal(2, session.MessagesReceived);
            Assert.Equal(1024, session.BytesReceived);
            Assert.Null(session.CloseInfo);
        }
    }

    [Fact]
    public async Task ReceiveAsync_MessageAboveLimit_ClosesWith1009()
    {
        var results = new TaskCompletionSource<List<byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
            results.SetResult(await session.ReceiveUntilClosedAsync()));
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await client.SendBinaryAsync(new byte[1025]);

            ClientMessage close = await client.ReceiveWholeAsync();
            Assert.True(close.IsClose);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
            Assert.Equal("message larger than the 1024-byte limit", close.CloseDescription);
            await client.AnswerCloseAsync();
        }

        Assert.Empty(await results.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(new SessionCloseInfo(SessionCloseCode.MessageTooBig, "message larger than the 1024-byte limit", ByPeer: false), session.CloseInfo);
        Assert.True(session.Closed.IsCancellationRequested);
    }

    [Fact]
    public async Task ReceiveAsync_TextMessage_ClosesWith1003()
    {
        var results = new TaskCompletionSource<List<byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
            results.SetResult(await session.ReceiveUntilClosedAsync()));
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

            ClientMessage close = await client.ReceiveWholeAsync();
            Assert.True(close.IsClose);
            Assert.Equal(WebSocketCloseStatus.InvalidMessageType, close.CloseStatus);
            await client.AnswerCloseAsync();
        }

        Assert.Empty(await results.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(SessionCloseCode.UnsupportedData, session.CloseInfo?.Code);
        Assert.False(session.CloseInfo?.ByPeer);
    }

    [Fact]
    public async Task ReceiveAsync_PeerSendsCloseFrame_ReturnsClosedWithPeerCodeAndAnswers()
    {
        var results = new TaskCompletionSource<List<byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
            results.SetResult(await session.ReceiveUntilClosedAsync()));
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await client.SendBinaryAsync([1, 2, 3]);

            // CloseAsync completes only once the server has answered with its own close frame.
            await client.CloseAsync((WebSocketCloseStatus)4321, "leaving", TestContext.Current.CancellationToken).WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(WebSocketState.Closed, client.State);
            Assert.Equal((WebSocketCloseStatus)4321, client.CloseStatus);
        }

        List<byte[]> received = await results.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([[1, 2, 3]], received);
        Assert.Equal(new SessionCloseInfo((SessionCloseCode)4321, "leaving", ByPeer: true), session.CloseInfo);
        Assert.True(session.Closed.IsCancellationRequested);
        Assert.True((await session.ReceiveAsync(TestContext.Current.CancellationToken)).IsClosed);
        Assert.False(session.TrySendReliable([1]));
        Assert.False(session.SendUnreliable(0, [1]));
    }

    [Fact]
    public async Task ReceiveAsync_ClientAbortsConnection_ReturnsClosedAsGoingAwayByPeer()
    {
        var results = new TaskCompletionSource<List<byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
            results.SetResult(await session.ReceiveUntilClosedAsync()));
        var (client, session) = await server.ConnectPairAsync();
        await client.SendBinaryAsync([9]);
        client.Abort();
        client.Dispose();

        List<byte[]> received = await results.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal([[9]], received);
        SessionCloseInfo? info = session.CloseInfo;
        Assert.NotNull(info);
        Assert.Equal(SessionCloseCode.GoingAway, info.Code);
        Assert.True(info.ByPeer);
        Assert.Equal("connection lost while receiving", info.Reason);
    }

    [Fact]
    public async Task ReceiveAsync_SecondCallWhileOneIsPending_ThrowsInvalidOperation()
    {
        var secondAttempted = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstPayload = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
        {
            ValueTask<TransportReceiveResult> first = session.ReceiveAsync(TestContext.Current.CancellationToken);
            secondAttempted.SetResult(await Record.ExceptionAsync(async () => await session.ReceiveAsync(TestContext.Current.CancellationToken)));
            firstPayload.SetResult((await first).Payload.ToArray());
            await session.ReceiveUntilClosedAsync();
        });
        using ClientWebSocket client = await server.ConnectAsync();

        // Nothing is sent before the second call, so the first is certainly still pending then.
        Assert.IsType<InvalidOperationException>(await secondAttempted.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
        await client.SendBinaryAsync([5]);
        Assert.Equal([5], await firstPayload.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReceiveAsync_CallerCancelsWhileOpen_ThrowsAndAbortsTheConnection()
    {
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
        {
            // Wait for a first message so the client has surely finished its handshake.
            Assert.False((await session.ReceiveAsync(TestContext.Current.CancellationToken)).IsClosed);
            using var cancel = new CancellationTokenSource();
            ValueTask<TransportReceiveResult> pending = session.ReceiveAsync(cancel.Token);
            await cancel.CancelAsync();
            outcome.SetResult(await Record.ExceptionAsync(async () => await pending));
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            await client.SendBinaryAsync([1]);
            Assert.IsAssignableFrom<OperationCanceledException>(await outcome.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken));
            Assert.Equal(new SessionCloseInfo(SessionCloseCode.GoingAway, "receive cancelled by the server", ByPeer: false), session.CloseInfo);
            await Assert.ThrowsAsync<WebSocketException>(async () => await client.ReceiveWholeAsync());
        }
    }

    [Fact]
    public async Task ReceiveAsync_TokenIsClosedAndServerCloses_ReturnsClosedWithoutThrowing()
    {
        var outcome = new TaskCompletionSource<TransportReceiveResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebSocketTestServer.StartAsync(SmallMessages, async session =>
        {
            ValueTask<TransportReceiveResult> pending = session.ReceiveAsync(session.Closed);
            Task closing = session.CloseAsync(SessionCloseCode.Normal, "bye").AsTask();
            outcome.SetResult(await pending);
            await closing;
        });
        var (client, session) = await server.ConnectPairAsync();
        using (client)
        {
            var (messages, close) = await client.ReceiveUntilCloseAsync();
            Assert.Empty(messages);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
            Assert.True((await outcome.Task.WaitAsync(WebSocketTestServer.Timeout, TestContext.Current.CancellationToken)).IsClosed);
            Assert.Equal(new SessionCloseInfo(SessionCloseCode.Normal, "bye", ByPeer: false), session.CloseInfo);
        }
    }

    /// <summary>Sends every message back until the session closes.</summary>
    private static async Task EchoAsync(WebSocketTransportSession session)
    {
        while (true)
        {
            TransportReceiveResult result = await session.ReceiveAsync();
            if (result.IsClosed)
            {
                return;
            }

            Assert.True(result.IsReliable);
            Assert.True(session.TrySendReliable(result.Payload.Span));
        }
    }
}
