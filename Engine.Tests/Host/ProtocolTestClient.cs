using System.Buffers.Binary;
using System.Threading.Channels;
using Engine.Protocol;
using Engine.Snapshots;
using MemoryPack;

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

    /// <summary>The client's entity view: every EntitySnapshot consumed by <see cref="ExpectEntitiesAsync"/> is applied to it.</summary>
    public SnapshotDecoder Entities { get; } = new();

    /// <summary>
    /// Consumes EntitySnapshots in arrival order, applying each to <see cref="Entities"/> (and, when
    /// <paramref name="acknowledge"/>, acking each applied tick reliably), until one that applied
    /// satisfies <paramref name="match"/> (any applied one when null).
    /// </summary>
    public async Task<EntitySnapshotMessage> ExpectEntitiesAsync(Func<EntitySnapshotMessage, SnapshotDecoder, bool>? match = null, TimeSpan? timeout = null, bool acknowledge = true)
    {
        TimeSpan limit = timeout ?? Timeout;
        DateTime deadline = DateTime.UtcNow + limit;
        while (true)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            EntitySnapshotMessage snapshot = await ExpectAsync<EntitySnapshotMessage>(null, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (!Entities.TryApply(snapshot.Payload, out uint tick))
            {
                continue; // late, duplicate, or against a baseline this view no longer has
            }

            if (acknowledge)
            {
                await SendAsync(new SnapshotAckMessage { Tick = tick });
            }

            if (match is null || match(snapshot, Entities))
            {
                return snapshot;
            }
        }
    }

    /// <summary>Entity <paramref name="id"/>'s body in the current view, deserialised; null when the view lacks it.</summary>
    public T? Entity<T>(uint id)
        where T : class =>
        Entities.Current.TryGetBody(id, out ReadOnlySpan<byte> body) ? MemoryPackSerializer.Deserialize<T>(body) : null;

    /// <summary>The tick an entity snapshot describes (its payload's first field).</summary>
    public static uint TickOf(EntitySnapshotMessage snapshot) => BinaryPrimitives.ReadUInt32LittleEndian(snapshot.Payload);

    /// <summary>The baseline tick an entity snapshot deltas against (0 = full).</summary>
    public static uint BaselineOf(EntitySnapshotMessage snapshot) => BinaryPrimitives.ReadUInt32LittleEndian(snapshot.Payload.AsSpan(4));

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
