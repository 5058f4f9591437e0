using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Net;

namespace Engine.Tests.Transport.Net;

/// <summary>The public async QUIC API over real UDP sockets on loopback (IPv4 and IPv6).</summary>
public sealed class QuicApiTests
{
    private static readonly Lazy<X509Certificate2> Certificate = new(() => QuicTestPair.CreateCertificate(TimeSpan.FromDays(10)));

    private static CancellationToken Timeout(int seconds = 20) =>
        CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token).Token;

    internal static QuicListenerOptions ListenerOptions(IPAddress? address = null, int maxBidi = 100) => new()
    {
        ListenEndPoint = new IPEndPoint(address ?? IPAddress.Loopback, 0),
        ApplicationProtocols = ["test"],
        ServerCertificate = Certificate.Value,
        MaxInboundBidirectionalStreams = maxBidi,
    };

    internal static QuicClientConnectionOptions ClientOptions(IPEndPoint server, byte[]? pin = null) => new()
    {
        RemoteEndPoint = server,
        ApplicationProtocols = ["test"],
        ServerCertificateHashes = [pin ?? SHA256.HashData(Certificate.Value.RawData)],
    };

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task ConnectAsync_BidirectionalEcho_OneMegabyteIdentical(string address)
    {
        CancellationToken ct = Timeout();
        await using QuicListener listener = await QuicListener.ListenAsync(ListenerOptions(IPAddress.Parse(address)), ct);
        Task echo = EchoOneStreamAsync(listener, ct);
        await using QuicConnection client = await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint), ct);
        byte[] payload = RandomNumberGenerator.GetBytes(1024 * 1024);

        await using QuicStream stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        Task<byte[]> reply = ReadAllAsync(stream, ct);
        await stream.WriteAsync(payload, ct);
        stream.CompleteWrites();

        Assert.Equal("test", client.NegotiatedApplicationProtocol);
        Assert.Equal(payload, await reply);
        await echo;
    }

    [Fact]
    public async Task OpenOutboundStreamAsync_FiftyConcurrentStreams_AllEchoed()
    {
        CancellationToken ct = Timeout(30);
        await using QuicListener listener = await QuicListener.ListenAsync(ListenerOptions(), ct);
        Task server = Task.Run(async () =>
        {
            await using QuicConnection connection = await listener.AcceptConnectionAsync(ct);
            var echoes = new List<Task>();
            for (int i = 0; i < 50; i++)
            {
                QuicStream stream = await connection.AcceptInboundStreamAsync(ct);
                echoes.Add(EchoAsync(stream, ct));
            }

            await Task.WhenAll(echoes);
        }, ct);
        await using QuicConnection client = await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint), ct);

        Task<bool>[] exchanges = [.. Enumerable.Range(0, 50).Select(async i =>
        {
            await using QuicStream stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
            byte[] payload = Encoding.UTF8.GetBytes($"stream {i} " + new string('x', i * 100));
            Task<byte[]> reply = ReadAllAsync(stream, ct);
            await stream.WriteAsync(payload, ct);
            stream.CompleteWrites();
            byte[] received = await reply;
            return payload.AsSpan().SequenceEqual(received);
        })];

        Assert.All(await Task.WhenAll(exchanges), Assert.True);
        await server;
    }

    [Fact]
    public async Task UnidirectionalStreams_BothWays_DataAndEndArrive()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(), ct);
        (QuicConnection client, QuicConnection server) = (pair.Client, pair.Server);

        await using QuicStream up = await client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional, ct);
        await up.WriteAsync("up"u8.ToArray(), ct);
        up.CompleteWrites();
        await using QuicStream upAtServer = await server.AcceptInboundStreamAsync(ct);
        await using QuicStream down = await server.OpenOutboundStreamAsync(QuicStreamType.Unidirectional, ct);
        await down.WriteAsync("down"u8.ToArray(), ct);
        down.CompleteWrites();
        await using QuicStream downAtClient = await client.AcceptInboundStreamAsync(ct);

        Assert.Equal("up", Encoding.UTF8.GetString(await ReadAllAsync(upAtServer, ct)));
        Assert.Equal("down", Encoding.UTF8.GetString(await ReadAllAsync(downAtClient, ct)));
        Assert.Equal(QuicStreamType.Unidirectional, upAtServer.Type);
        Assert.False(upAtServer.CanWrite);
        Assert.False(up.CanRead);
        await up.WritesClosed.WaitAsync(ct);
    }

    [Fact]
    public async Task Abort_Write_PeerReadThrowsWithCode()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(), ct);
        (QuicConnection client, QuicConnection server) = (pair.Client, pair.Server);
        await using QuicStream stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        await stream.WriteAsync("partial"u8.ToArray(), ct);
        await using QuicStream peer = await server.AcceptInboundStreamAsync(ct);

        stream.Abort(QuicAbortDirection.Write, 0x77);
        QuicException error = await Assert.ThrowsAsync<QuicException>(async () => await ReadAllAsync(peer, ct));

        Assert.Equal(QuicError.StreamAborted, error.QuicError);
        Assert.Equal(0x77, error.ApplicationErrorCode);
    }

    [Fact]
    public async Task Abort_Read_PeerWriteThrowsWithCode()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(), ct);
        (QuicConnection client, QuicConnection server) = (pair.Client, pair.Server);
        await using QuicStream stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        await stream.WriteAsync("hello"u8.ToArray(), ct);
        await using QuicStream peer = await server.AcceptInboundStreamAsync(ct);

        stream.Abort(QuicAbortDirection.Read, 0x55);
        QuicException error = await Assert.ThrowsAsync<QuicException>(async () =>
        {
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 1000; i++)
            {
                await peer.WriteAsync(chunk, ct);
                await Task.Delay(1, ct);
            }
        });

        Assert.Equal(QuicError.StreamAborted, error.QuicError);
        Assert.Equal(0x55, error.ApplicationErrorCode);
    }

    [Fact]
    public async Task Datagrams_BothWays_Arrive()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(), ct);
        (QuicConnection client, QuicConnection server) = (pair.Client, pair.Server);
        byte[] buffer = new byte[65536];

        Assert.True(client.MaxDatagramSendSize > 1000);
        Assert.Equal("ping", await SendUntilReceivedAsync(client, server, "ping", buffer, ct));
        Assert.Equal("pong", await SendUntilReceivedAsync(server, client, "pong", buffer, ct));
        Assert.False(client.TrySendDatagram(new byte[client.MaxDatagramSendSize + 1]));
    }

    /// <summary>
    /// Datagrams are unreliable (never retransmitted) and UDP on a busy machine may lose one even
    /// on loopback, so the message is offered again every 200 ms until one copy arrives.
    /// </summary>
    private static async Task<string> SendUntilReceivedAsync(QuicConnection from, QuicConnection to, string text, byte[] buffer, CancellationToken ct)
    {
        Task<int> received = to.ReceiveDatagramAsync(buffer, ct).AsTask();
        while (true)
        {
            Assert.True(from.TrySendDatagram(Encoding.UTF8.GetBytes(text)));
            if (await Task.WhenAny(received, Task.Delay(200, ct)) == received)
            {
                return Encoding.UTF8.GetString(buffer, 0, await received);
            }
        }
    }

    [Fact]
    public async Task CloseAsync_WithCode_PeerPendingAcceptThrowsWithThatCode()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(), ct);
        (QuicConnection client, QuicConnection server) = (pair.Client, pair.Server);
        ValueTask<QuicStream> pending = server.AcceptInboundStreamAsync(ct);

        await client.CloseAsync(0x1234, ct);
        QuicException error = await Assert.ThrowsAsync<QuicException>(async () => await pending);

        Assert.Equal(QuicError.ConnectionAborted, error.QuicError);
        Assert.Equal(0x1234, error.ApplicationErrorCode);
        await Assert.ThrowsAsync<QuicException>(async () => await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct));
    }

    [Fact]
    public async Task CloseAsync_RightAfterAFinishedStream_PeerStillReadsItThenSeesTheClose()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(), ct);
        QuicStream stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional, ct);
        await stream.WriteAsync("last words"u8.ToArray(), ct);
        stream.CompleteWrites();
        await pair.Client.CloseAsync(7, ct); // the stream and the close leave in the same flush
        await Task.Delay(200, ct); // the close arrives before the server application looks
        await using QuicStream received = await pair.Server.AcceptInboundStreamAsync(ct);

        Assert.Equal("last words", Encoding.UTF8.GetString(await ReadAllAsync(received, ct)));
        QuicException error = await Assert.ThrowsAsync<QuicException>(async () => await pair.Server.AcceptInboundStreamAsync(ct));
        Assert.Equal(7, error.ApplicationErrorCode);
    }

    [Fact]
    public async Task DisposeAsync_Listener_AcceptedConnectionsWaitersFail()
    {
        CancellationToken ct = Timeout();
        QuicListener listener = await QuicListener.ListenAsync(ListenerOptions(), ct);
        await using QuicConnection client = await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint), ct);
        await using QuicConnection server = await listener.AcceptConnectionAsync(ct);
        ValueTask<QuicStream> pending = server.AcceptInboundStreamAsync(ct);

        await listener.DisposeAsync();

        QuicException error = await Assert.ThrowsAsync<QuicException>(async () => await pending);
        Assert.Equal(QuicError.OperationAborted, error.QuicError);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptConnectionAsync(ct));
    }

    [Fact]
    public async Task AsyncOperations_Cancelled_ThrowOperationCanceled()
    {
        CancellationToken ct = Timeout();
        await using QuicListener listener = await QuicListener.ListenAsync(ListenerOptions(), ct);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.AcceptConnectionAsync(cancel.Token));
        }

        await using QuicConnection client = await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint), ct);
        await using QuicConnection server = await listener.AcceptConnectionAsync(ct);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.AcceptInboundStreamAsync(cancel.Token));
        }

        await using QuicStream stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => _ = await stream.ReadAsync(new byte[10], cancel.Token));
        }

        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.ReceiveDatagramAsync(new byte[100], cancel.Token));
        }
    }

    [Fact]
    public async Task OpenOutboundStreamAsync_PeerLimitReached_WaitsUntilAStreamCloses()
    {
        CancellationToken ct = Timeout();
        await using ConnectedPair pair = await ConnectedPair.OpenAsync(ListenerOptions(maxBidi: 2), ct);
        (QuicConnection client, QuicConnection server) = (pair.Client, pair.Server);
        QuicStream first = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        QuicStream second = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);

        ValueTask<QuicStream> third = client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, ct);
        await Task.Delay(300, ct);
        Assert.False(third.IsCompleted, "a third stream must wait for the peer's limit");

        await first.WriteAsync("a"u8.ToArray(), ct);
        first.CompleteWrites();
        await using QuicStream firstAtServer = await server.AcceptInboundStreamAsync(ct);
        await ReadAllAsync(firstAtServer, ct);
        firstAtServer.CompleteWrites();
        await ReadAllAsync(first, ct);
        await using QuicStream opened = await third.AsTask().WaitAsync(ct);

        Assert.Equal(8, opened.Id);
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task ConnectAsync_PinnedHashMismatch_ThrowsHandshakeFailed()
    {
        CancellationToken ct = Timeout();
        await using QuicListener listener = await QuicListener.ListenAsync(ListenerOptions(), ct);

        QuicException error = await Assert.ThrowsAsync<QuicException>(async () =>
            await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint, pin: new byte[32]), ct));

        Assert.Equal(QuicError.HandshakeFailed, error.QuicError);
        Assert.Equal(0x100 + 42, error.TransportErrorCode); // bad_certificate
    }

    [Fact]
    public async Task ConnectAsync_NobodyListening_TimesOut()
    {
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        QuicClientConnectionOptions options = ClientOptions((IPEndPoint)silent.Client.LocalEndPoint!);

        QuicException error = await Assert.ThrowsAsync<QuicException>(async () =>
            await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
            {
                RemoteEndPoint = options.RemoteEndPoint,
                ApplicationProtocols = options.ApplicationProtocols,
                ServerCertificateHashes = options.ServerCertificateHashes,
                HandshakeTimeout = TimeSpan.FromMilliseconds(500),
            }, Timeout()));

        Assert.Equal(QuicError.ConnectionTimeout, error.QuicError);
    }

    [Fact]
    public void Validate_BadOptions_ListEveryProblem()
    {
        var listener = new QuicListenerOptions { ApplicationProtocols = [], IdleTimeout = TimeSpan.FromSeconds(-1), ListenBacklog = 0 };
        var client = new QuicClientConnectionOptions { ApplicationProtocols = ["x"], MaxDatagramReceiveSize = 70_000 };

        ArgumentException listenerError = Assert.Throws<ArgumentException>(listener.Validate);
        ArgumentException clientError = Assert.Throws<ArgumentException>(client.Validate);

        Assert.Contains("ApplicationProtocols needs at least one ALPN name", listenerError.Message, StringComparison.Ordinal);
        Assert.Contains("IdleTimeout must not be negative", listenerError.Message, StringComparison.Ordinal);
        Assert.Contains("ListenEndPoint is required", listenerError.Message, StringComparison.Ordinal);
        Assert.Contains("ServerCertificate is required", listenerError.Message, StringComparison.Ordinal);
        Assert.Contains("ListenBacklog must be 1–65536 (got 0)", listenerError.Message, StringComparison.Ordinal);
        Assert.Contains("RemoteEndPoint is required", clientError.Message, StringComparison.Ordinal);
        Assert.Contains("MaxDatagramReceiveSize must be 0–65536 (got 70000)", clientError.Message, StringComparison.Ordinal);
        Assert.Contains("TargetHost is required", clientError.Message, StringComparison.Ordinal);
    }

    /// <summary>A listener with one client connected and its server side accepted.</summary>
    private sealed record ConnectedPair(QuicListener Listener, QuicConnection Client, QuicConnection Server) : IAsyncDisposable
    {
        public static async Task<ConnectedPair> OpenAsync(QuicListenerOptions options, CancellationToken ct)
        {
            QuicListener listener = await QuicListener.ListenAsync(options, ct);
            QuicConnection client = await QuicConnection.ConnectAsync(ClientOptions(listener.LocalEndPoint), ct);
            return new ConnectedPair(listener, client, await listener.AcceptConnectionAsync(ct));
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Client.DisposeAsync();
            await Listener.DisposeAsync();
        }
    }

    internal static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        using var sink = new MemoryStream();
        await stream.CopyToAsync(sink, ct);
        return sink.ToArray();
    }

    private static async Task EchoOneStreamAsync(QuicListener listener, CancellationToken ct)
    {
        await using QuicConnection connection = await listener.AcceptConnectionAsync(ct);
        await using QuicStream stream = await connection.AcceptInboundStreamAsync(ct);
        await EchoAsync(stream, ct);
    }

    /// <summary>Echoes until the peer's FIN, then waits until the echo is acknowledged (closing earlier would abandon it).</summary>
    private static async Task EchoAsync(QuicStream stream, CancellationToken ct)
    {
        await stream.CopyToAsync(stream, ct);
        stream.CompleteWrites();
        await stream.WritesClosed.WaitAsync(ct);
    }
}
