using System.Net.WebSockets;

namespace Engine.Bench.Load;

/// <summary>A load client on a <see cref="ClientWebSocket"/> (Engine's /ws or the node-ws baseline).</summary>
internal sealed class WebSocketLoadClient : LoadClient
{
    private readonly ClientWebSocket _socket;

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

    protected override Task SendAsync(byte[] message, CancellationToken cancellationToken) =>
        _socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken);

    protected override bool IsClosed(Exception exception) => exception is WebSocketException or ObjectDisposedException;

    protected override ValueTask CloseAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task ReadAsync() => UntilClosedAsync(async () =>
    {
        byte[] buffer = new byte[1 << 20];
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

            Receive(buffer.AsSpan(0, length), System.Diagnostics.Stopwatch.GetTimestamp());
        }
    });
}
