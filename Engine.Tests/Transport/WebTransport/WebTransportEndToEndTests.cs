using System.Text;
using Engine.Transport.Net;
using Engine.Transport.WebTransport;

namespace Engine.Tests.Transport.WebTransport;

/// <summary>The .NET WebTransport client against the server over real loopback UDP.</summary>
public class WebTransportEndToEndTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectAsync_EchoServer_BidirectionalStreamEchoes()
    {
        using var server = new WebTransportEchoServer();
        await using WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        await using QuicStream stream = await session.OpenBidirectionalStreamAsync();
        byte[] message = Encoding.UTF8.GetBytes("hello over webtransport");
        await stream.WriteAsync(message);
        stream.CompleteWrites();
        byte[] echoed = await ReadToEndAsync(stream);
        Assert.Equal(message, echoed);
    }

    [Fact]
    public async Task ConnectAsync_EchoServer_UnidirectionalStreamsBothWays()
    {
        using var server = new WebTransportEchoServer();
        await using WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        await using (QuicStream outgoing = await session.OpenUnidirectionalStreamAsync())
        {
            await outgoing.WriteAsync("one way"u8.ToArray());
            outgoing.CompleteWrites();
        }

        using var timeout = new CancellationTokenSource(Patience);
        await using QuicStream incoming = await session.AcceptUnidirectionalStreamAsync(timeout.Token);
        Assert.Equal("one way", Encoding.UTF8.GetString(await ReadToEndAsync(incoming)));
    }

    [Fact]
    public async Task TrySendDatagram_EchoServer_AnEchoOfASentDatagramReturnsAndOversizeIsRefused()
    {
        using var server = new WebTransportEchoServer();
        await using WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        Assert.InRange(session.MaxDatagramSize, 1000, 1500);
        using var timeout = new CancellationTokenSource(Patience);
        var seen = new HashSet<int>();
        byte[] buffer = new byte[2048];
        // Datagrams may be lost even on loopback under load: send until one comes back, then check it is one we sent.
        for (int i = 0; seen.Count == 0; i++)
        {
            Assert.True(session.TrySendDatagram(BitConverter.GetBytes(i)));
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                int length = await session.ReceiveDatagramAsync(buffer, wait.Token);
                Assert.Equal(4, length);
                int value = BitConverter.ToInt32(buffer);
                Assert.InRange(value, 0, i);
                Assert.True(seen.Add(value));
            }
            catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
            {
            }
        }

        Assert.False(session.TrySendDatagram(new byte[session.MaxDatagramSize + 1]));
    }

    [Fact]
    public async Task DatagramReceived_HandlerEchoesOnTheDriverThread_DatagramsComeBack()
    {
        int handledOnDriver = 0;
        using var server = new WebTransportEchoServer(configure: options => options with
        {
            SessionEstablished = session => session.DatagramReceived = datagram =>
            {
                if (Thread.CurrentThread.Name?.StartsWith("quic-udp", StringComparison.Ordinal) == true)
                {
                    Interlocked.Increment(ref handledOnDriver);
                }

                session.TrySendDatagram(datagram);
            },
        });
        await using WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        using var timeout = new CancellationTokenSource(Patience);
        byte[] buffer = new byte[64];
        for (int i = 0; ; i++)
        {
            Assert.True(session.TrySendDatagram(BitConverter.GetBytes(i)));
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                Assert.Equal(4, await session.ReceiveDatagramAsync(buffer, wait.Token));
                Assert.InRange(BitConverter.ToInt32(buffer), 0, i);
                break;
            }
            catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
            {
            }
        }

        Assert.True(handledOnDriver > 0, "the handler ran on a thread-pool thread");
    }

    [Fact]
    public async Task CloseAsync_FromClient_ServerSeesCodeAndReason()
    {
        using var server = new WebTransportEchoServer();
        WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        WebTransportSession serverSide = await server.WaitForSessionAsync();
        await session.CloseAsync(4004, "replaced by a newer tab");
        await WaitAsync(serverSide.Closed);
        Assert.Equal(new WebTransportCloseInfo(4004, "replaced by a newer tab", ByPeer: true), serverSide.CloseInfo);
        Assert.Equal(new WebTransportCloseInfo(4004, "replaced by a newer tab", ByPeer: false), session.CloseInfo);
        await session.DisposeAsync();
    }

    [Fact]
    public async Task CloseAsync_FromServer_ClientSeesCodeAndReasonAndStreamsFail()
    {
        using var server = new WebTransportEchoServer();
        await using WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        await using QuicStream stream = await session.OpenBidirectionalStreamAsync();
        await stream.WriteAsync("x"u8.ToArray());
        WebTransportSession serverSide = await server.WaitForSessionAsync();
        await serverSide.CloseAsync(1001, "server going away");
        await WaitAsync(session.Closed);
        Assert.Equal(new WebTransportCloseInfo(1001, "server going away", ByPeer: true), session.CloseInfo);
        await Assert.ThrowsAsync<QuicException>(async () => await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task ConnectAsync_Refused_ThrowsWithStatus()
    {
        using var server = new WebTransportEchoServer(authorize: request =>
            request.Origin == "https://game.example" ? new WebTransportConnectResult(403, "origin not allowed") : WebTransportConnectResult.Accept);
        WebTransportConnectException refused = await Assert.ThrowsAsync<WebTransportConnectException>(async () =>
            await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions));
        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task ConnectAsync_WrongPath_Gets404()
    {
        using var server = new WebTransportEchoServer();
        var uri = new UriBuilder(server.Uri) { Path = "/elsewhere" }.Uri;
        WebTransportConnectException refused = await Assert.ThrowsAsync<WebTransportConnectException>(async () =>
            await WebTransportClient.ConnectAsync(uri, server.ClientOptions));
        Assert.Equal(404, refused.Status);
    }

    [Fact]
    public async Task Abort_StreamWithApplicationCode_PeerSeesTheSameCode()
    {
        using var server = new WebTransportEchoServer();
        await using WebTransportSession session = await WebTransportClient.ConnectAsync(server.Uri, server.ClientOptions);
        WebTransportSession serverSide = await server.WaitForSessionAsync();
        await using QuicStream outgoing = await serverSide.OpenUnidirectionalStreamAsync();
        await outgoing.WriteAsync("partial"u8.ToArray());
        using var timeout = new CancellationTokenSource(Patience);
        await using QuicStream incoming = await session.AcceptUnidirectionalStreamAsync(timeout.Token);
        byte[] first = new byte[7];
        await incoming.ReadExactlyAsync(first, timeout.Token);

        // The reset travels as an HTTP/3 code in WebTransport's range and is mapped back to the application's.
        outgoing.Abort(QuicAbortDirection.Write, 4242);
        QuicException reset = await Assert.ThrowsAsync<QuicException>(async () => await ReadToEndAsync(incoming));
        Assert.Equal(4242, reset.ApplicationErrorCode);
    }

    internal static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, timeout.Token);
        return copy.ToArray();
    }

    internal static async Task WaitAsync(CancellationToken closed)
    {
        var done = new TaskCompletionSource();
        using (closed.Register(() => done.TrySetResult()))
        {
            await done.Task.WaitAsync(Patience, CancellationToken.None);
        }
    }
}
