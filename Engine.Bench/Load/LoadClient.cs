using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Engine.Protocol;
using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>
/// One load client, whatever carries its messages (<see cref="WebSocketLoadClient"/>,
/// <see cref="WebTransportLoadClient"/>): it joins the bench room, then only reads, and records
/// each Snapshot and GameEvent's tick-to-receive latency while <see cref="Measuring"/>. Sends a
/// Ping every 5 s (the presence heartbeat). Snapshot and event paths may run on different threads
/// (one histogram and counter set each); nothing else is shared between them.
/// </summary>
internal abstract class LoadClient : IAsyncDisposable
{
    // Snapshot: type, header, tick u32, lastInput u32, serverTime i64, state length i32 → state at 22.
    // GameEvent: type, header, sequence i64, playerId i32, kind i32, data length i32 → data at 22.
    private const int StampOffset = 22;
    private const int TickOffset = 2;

    private static readonly byte[] Ping = MessageCodec.ToArray(new PingMessage());
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private Task[] _loops = [];
    private long _bytes;
    private bool _haveTick;
    private uint _lastTick;
    private long _firstMeasuredTick = -1;
    private long _lastMeasuredTick = -1;

    private volatile bool _measuring;

    /// <summary>Whether the measurement window is open (messages are counted and timed only then).</summary>
    public bool Measuring
    {
        get => _measuring;
        set
        {
            _measuring = value;
            OnMeasuringChanged(value);
        }
    }

    public LongHistogram SnapshotLatency { get; } = new(TimeStamp.Seconds(10), 3);

    public LongHistogram EventLatency { get; } = new(TimeStamp.Seconds(10), 3);

    public long Snapshots { get; private set; }

    public long Events { get; private set; }

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Snapshots whose tick was not newer than the last one (latest-wins: ignored, like a real client).</summary>
    public long StaleSnapshots { get; private set; }

    /// <summary>Ticks from the first to the last snapshot received in the window: what a lossless transport would have delivered.</summary>
    public long TicksSpanned => _firstMeasuredTick < 0 ? 0 : _lastMeasuredTick - _firstMeasuredTick + 1;

    public int SnapshotMessageBytes { get; private set; }

    public int EventMessageBytes { get; private set; }

    public string? WireError { get; protected set; }

    /// <summary>Datagram figures of a WebTransport client; null for a WebSocket one.</summary>
    public virtual DatagramCounts? Datagrams => null;

    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Hello, then Join {room: "bench"}: what every client sends first.</summary>
    protected static byte[][] JoinMessages(int index) =>
    [
        MessageCodec.ToArray(new HelloMessage { ProtocolVersion = ProtocolInfo.Version }),
        MessageCodec.ToArray(new JoinMessage { Room = "bench", Name = "c" + index.ToString(CultureInfo.InvariantCulture) }),
    ];

    /// <summary>The window opens (true) or closes (false).</summary>
    protected virtual void OnMeasuringChanged(bool measuring)
    {
    }

    /// <summary>Starts the receive loops and the pinger; call once the client has joined.</summary>
    protected void Start(params Func<Task>[] receiveLoops) =>
        _loops = [.. receiveLoops.Select(Task.Run), Task.Run(PingAsync)];

    /// <summary>Sends one whole message (the pinger is the only sender after joining).</summary>
    protected abstract Task SendAsync(byte[] message, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> only means the connection went away (ends a loop quietly).</summary>
    protected abstract bool IsClosed(Exception exception);

    /// <summary>Ends the connection at once, so the loops return.</summary>
    protected abstract ValueTask CloseAsync();

    /// <summary>A Snapshot or GameEvent as received (type byte first), <paramref name="now"/> its Stopwatch receipt time.</summary>
    protected void Receive(ReadOnlySpan<byte> message, long now)
    {
        if (message.Length < StampOffset + 8)
        {
            return;
        }

        var type = (MessageType)message[0];
        if (type == MessageType.Snapshot)
        {
            uint tick = BinaryPrimitives.ReadUInt32LittleEndian(message[TickOffset..]);
            bool stale = _haveTick && tick <= _lastTick;
            _haveTick = true;
            _lastTick = Math.Max(_lastTick, tick);
            if (Measuring)
            {
                if (stale)
                {
                    StaleSnapshots++;
                }
                else
                {
                    _firstMeasuredTick = _firstMeasuredTick < 0 ? tick : _firstMeasuredTick;
                    _lastMeasuredTick = tick;
                    Snapshots++;
                    Record(SnapshotLatency, message, now);
                }
            }
        }
        else if (type == MessageType.GameEvent)
        {
            if (Measuring)
            {
                Events++;
                Record(EventLatency, message, now);
            }
        }
        else
        {
            return;
        }

        CheckWireFormat(type, message);
    }

    private void Record(LongHistogram histogram, ReadOnlySpan<byte> message, long now)
    {
        long stamp = BinaryPrimitives.ReadInt64LittleEndian(message[StampOffset..]);
        histogram.RecordValue(Math.Max(0, now - stamp)); // Stopwatch ticks
        Interlocked.Add(ref _bytes, message.Length);
    }

    private async Task PingAsync()
    {
        using var timer = new PeriodicTimer(PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(Stopping))
            {
                await SendAsync(Ping, Stopping); // presence heartbeat
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException || IsClosed(exception))
        {
        }
    }

    /// <summary>Runs a receive loop until the connection closes or the client is disposed.</summary>
    protected async Task UntilClosedAsync(Func<Task> loop)
    {
        try
        {
            await loop();
        }
        catch (Exception exception) when (exception is OperationCanceledException || IsClosed(exception))
        {
        }
    }

    // The first snapshot and the first event of each client go through Engine's own decoder,
    // so a baseline that drifts from the wire format fails loudly instead of measuring garbage.
    private void CheckWireFormat(MessageType type, ReadOnlySpan<byte> message)
    {
        if (type == MessageType.Snapshot ? SnapshotMessageBytes != 0 : EventMessageBytes != 0)
        {
            return;
        }

        try
        {
            if (type == MessageType.Snapshot)
            {
                MessageCodec.Read<SnapshotMessage>(message);
            }
            else
            {
                MessageCodec.Read<GameEventMessage>(message);
            }
        }
        catch (ProtocolException ex)
        {
            WireError ??= "NO: " + ex.Message;
        }

        if (type == MessageType.Snapshot)
        {
            SnapshotMessageBytes = message.Length;
        }
        else
        {
            EventMessageBytes = message.Length;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await CloseAsync();
        await Task.WhenAny(Task.WhenAll(_loops), Task.Delay(TimeSpan.FromSeconds(5)));
        _stop.Dispose();
    }
}

/// <summary>What a WebTransport client's datagram path saw in the measurement window.</summary>
internal sealed record DatagramCounts
{
    /// <summary>Datagrams that held a whole message (kind 0).</summary>
    public long Whole { get; init; }

    /// <summary>Messages reassembled from fragments (kind 1).</summary>
    public long Reassembled { get; init; }

    /// <summary>Fragmented messages given up incomplete (evicted by a newer one or older than 1 s).</summary>
    public long Incomplete { get; init; }

    /// <summary>Datagrams the client's receive queue dropped because the reader fell behind.</summary>
    public long QueueDropped { get; init; }

    /// <summary>The session's maximum datagram payload (the largest that fits one QUIC packet).</summary>
    public int MaxDatagramSize { get; init; }

    public static DatagramCounts Sum(IEnumerable<DatagramCounts> all)
    {
        DatagramCounts[] list = [.. all];
        return new DatagramCounts
        {
            Whole = list.Sum(d => d.Whole),
            Reassembled = list.Sum(d => d.Reassembled),
            Incomplete = list.Sum(d => d.Incomplete),
            QueueDropped = list.Sum(d => d.QueueDropped),
            MaxDatagramSize = list.Length == 0 ? 0 : list.Min(d => d.MaxDatagramSize),
        };
    }
}
