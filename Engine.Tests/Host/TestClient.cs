using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Engine.Protocol;

namespace Engine.Tests.Host;

/// <summary>A protocol client over a real WebSocket: a background reader queues every message.</summary>
public sealed class TestClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Channel<(MessageType Type, byte[] Bytes)> _inbox = Channel.CreateUnbounded<(MessageType, byte[])>();
    private readonly Task _reader;
    private readonly CancellationTokenSource _stop = new();

    public TestClient(ClientWebSocket socket)
    {
        Socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public ClientWebSocket Socket { get; }

    public WelcomeMessage? Welcome { get; private set; }

    public JoinAcceptedMessage? Accepted { get; private set; }

    /// <summary>The close status once the server closed the socket.</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task SendAsync<T>(T message)
        where T : class => SendRawAsync(MessageCodec.ToArray(message));

    public async Task SendRawAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Binary)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await Socket.SendAsync(bytes, type, true, cts.Token);
    }

    public async Task HelloAsync(string? resumeToken = null, long lastSequence = 0)
    {
        await SendAsync(new HelloMessage { ProtocolVersion = ProtocolInfo.Version, ResumeToken = resumeToken, LastSequence = lastSequence });
        Welcome = await ExpectAsync<WelcomeMessage>();
    }

    public async Task JoinAsync(string room, string name, string? token = null)
    {
        await SendAsync(new JoinMessage { Room = room, Name = name, Token = token });
        Accepted = await ExpectAsync<JoinAcceptedMessage>();
    }

    /// <summary>Waits for the next message of type <typeparamref name="T"/>, skipping others.</summary>
    public async Task<T> ExpectAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
        where T : class
    {
        MessageType wanted = MessageCatalog.TypeOf(typeof(T));
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            while (true)
            {
                (MessageType type, byte[] bytes) = await _inbox.Reader.ReadAsync(cts.Token);
                if (type == wanted)
                {
                    T message = MessageCodec.Read<T>(bytes);
                    if (match is null || match(message))
                    {
                        return message;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {typeof(T).Name} within {(timeout ?? Timeout).TotalSeconds} s (close: {CloseStatus} {CloseDescription}).");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The connection closed ({CloseStatus} {CloseDescription}) before a {typeof(T).Name} arrived.");
        }
    }

    /// <summary>Every message received so far and not yet consumed, in order.</summary>
    public List<(MessageType Type, byte[] Bytes)> Drain()
    {
        var list = new List<(MessageType, byte[])>();
        while (_inbox.Reader.TryRead(out (MessageType, byte[]) item))
        {
            list.Add(item);
        }

        return list;
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
                    CloseStatus = Socket.CloseStatus;
                    CloseDescription = Socket.CloseStatusDescription;
                    break;
                }

                byte[] message = buffer.AsSpan(0, length).ToArray();
                await _inbox.Writer.WriteAsync((MessageCodec.ReadType(message), message));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            CloseStatus ??= Socket.CloseStatus;
            CloseDescription ??= Socket.CloseStatusDescription ?? ex.Message;
        }
        finally
        {
            _inbox.Writer.TryComplete();
            Closed.TrySetResult();
        }
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort() => Socket.Abort();

    public async ValueTask DisposeAsync()
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
