using System.Buffers;
using System.Net.WebSockets;
using Engine.Protocol;

namespace Engine.Tests.Host;

/// <summary>A protocol client over a real WebSocket: a background reader queues every message.</summary>
public sealed class TestClient : ProtocolTestClient
{
    private readonly Task _reader;
    private readonly CancellationTokenSource _stop = new();

    public TestClient(ClientWebSocket socket)
    {
        Socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public ClientWebSocket Socket { get; }

    /// <summary>The close status once the server closed the socket.</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public override Task SendRawAsync(byte[] bytes) => SendRawAsync(bytes, WebSocketMessageType.Binary);

    public async Task SendRawAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await Socket.SendAsync(bytes, type, true, cts.Token);
    }

    /// <summary>Waits for the server to close, returning its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan? timeout = null)
    {
        await Closed.Task.WaitAsync(timeout ?? Timeout);
        return CloseStatus;
    }
    private async Task ReadLoopAsync()
    {
        byte[] buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await Socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    SetClose(Socket.CloseStatus, Socket.CloseStatusDescription);
                    break;
                }

                await DeliverAsync(buffer.AsSpan(0, length).ToArray());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            SetClose(CloseStatus ?? Socket.CloseStatus, CloseDescription ?? Socket.CloseStatusDescription ?? ex.Message);
        }
        finally
        {
            Complete();
        }
    }

    private void SetClose(WebSocketCloseStatus? status, string? description)
    {
        CloseStatus = status;
        CloseCode = (int?)status;
        CloseDescription = description;
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort() => Socket.Abort();

    public override async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        await _stop.CancelAsync();
        Socket.Abort();
        await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default);
        Socket.Dispose();
        _stop.Dispose();
    }
}
