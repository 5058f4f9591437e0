using System.Threading.Channels;
using Engine.Protocol;

namespace Engine.Tests.Host;

/// <summary>
/// A protocol client for tests, whatever carries it: a background reader queues every message the
/// server sends; subclasses provide the transport (WebSocket, WebTransport).
/// </summary>
public abstract class ProtocolTestClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Channel<(MessageType Type, byte[] Bytes)> _inbox = Channel.CreateUnbounded<(MessageType, byte[])>();

    public WelcomeMessage? Welcome { get; private set; }

    public JoinAcceptedMessage? Accepted { get; private set; }

    /// <summary>The close code the server sent (or the transport reported), once closed.</summary>
    public int? CloseCode { get; protected set; }

    public string? CloseDescription { get; protected set; }

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task SendAsync<T>(T message)
        where T : class => SendRawAsync(MessageCodec.ToArray(message));

    /// <summary>Sends one message reliably.</summary>
    public abstract Task SendRawAsync(byte[] bytes);

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
            throw new TimeoutException($"No {typeof(T).Name} within {(timeout ?? Timeout).TotalSeconds} s (close: {CloseCode} {CloseDescription}).");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The connection closed ({CloseCode} {CloseDescription}) before a {typeof(T).Name} arrived.");
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

    /// <summary>Waits for the server to close; returns the close code.</summary>
    public async Task<int?> WaitClosedCodeAsync(TimeSpan? timeout = null)
    {
        await Closed.Task.WaitAsync(timeout ?? Timeout);
        return CloseCode;
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>A whole message arrived (reader thread).</summary>
    protected ValueTask DeliverAsync(byte[] message) => _inbox.Writer.WriteAsync((MessageCodec.ReadType(message), message));

    /// <summary>The reader ended: no more messages.</summary>
    protected void Complete()
    {
        _inbox.Writer.TryComplete();
        Closed.TrySetResult();
    }
}
