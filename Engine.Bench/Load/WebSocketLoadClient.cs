using System.Net.WebSockets;

namespace Engine.Bench.Load;

/// <summary>A load client on a <see cref="ClientWebSocket"/> (Engine's /ws or the node-ws baseline).</summary>
internal sealed class WebSocketLoadClient : LoadClient
{
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1, 1); // ClientWebSocket takes one send at a time: pings and acks share it

    private WebSocketLoadClient(ClientWebSocket socket)
    {
        _socket = socket;
        Start(ReadAsync);
    }

    public static async Task<LoadClient> ConnectAsync(Uri uri, int index)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        await socket.ConnectAsync(uri, CancellationToken.None);
        foreach (byte[] message in JoinMessages(index))
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        return new WebSocketLoadClient(socket);
    }

    protected override async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    protected override bool IsClosed(Exception exception) => exception is WebSocketException or ObjectDisposedException;

    protected override ValueTask CloseAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        _sending.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task ReadAsync() => UntilClosedAsync(async () =>
    {
        byte[] buffer = new byte[1 << 20];
        byte[] ack = new byte[6];
        while (true)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer.AsMemory(length), Stopping);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            uint tick = Receive(buffer.AsSpan(0, length), System.Diagnostics.Stopwatch.GetTimestamp());
            if (tick != 0)
            {
                // SnapshotAck on the reliable channel (the WebSocket), as docs/protocol.md says for WebSocket.
                WriteSnapshotAck(ack, tick);
                await SendAsync(ack, Stopping);
            }
        }
    });
}
