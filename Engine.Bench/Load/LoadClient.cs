using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Engine.Protocol;
using Engine.Snapshots;
using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>
/// One load client, whatever carries its messages (<see cref="WebSocketLoadClient"/>,
/// <see cref="WebTransportLoadClient"/>, <see cref="UdpFloorClient"/>): it joins the bench room, then
/// reads, and records each Snapshot, EntitySnapshot and GameEvent's tick-to-receive (entity
/// snapshots: tick-to-apply) latency into the open <see cref="ClientWindow"/>. Entity snapshots are
/// applied with Engine's <see cref="SnapshotDecoder"/> and acknowledged (the carrier decides how).
/// Sends a Ping every 5 s (the presence heartbeat). Snapshot and event paths may run on different
/// threads; a window's counters are only written by one of them each (bytes: interlocked).
/// </summary>
internal abstract class LoadClient : IAsyncDisposable
{
    // Snapshot: type, header, tick u32, lastInput u32, serverTime i64, state length i32 → state at 22.
    // GameEvent: type, header, sequence i64, playerId i32, kind i32, data length i32 → data at 22.
    private const int StampOffset = 22;
    private const int TickOffset = 2;
    private const int EventSequenceOffset = 2;

    // EntitySnapshot: type, header, lastProcessedInput u32, serverTime i64, payload length i32 → payload at 18.
    private const int EntityPayloadLengthOffset = 14;
    private const int EntityPayloadOffset = 18;

    private static readonly byte[] Ping = MessageCodec.ToArray(new PingMessage());
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly SnapshotDecoder _decoder = new();
    private Task[] _loops = [];
    private bool _haveTick;
    private uint _lastTick;
    private long _lastEventSequence;
    private long _lastAckAt;
    private volatile ClientWindow? _window;

    /// <summary>Entity mode: acknowledge at most once per this many Stopwatch ticks (0: every applied snapshot).</summary>
    public static long AckIntervalTicks { get; set; }

    /// <summary>Whether a measurement window is open (messages are counted and timed only then).</summary>
    public bool Measuring => _window is not null;

    public int SnapshotMessageBytes { get; private set; }

    /// <summary>Entity mode: the size of the first full entity snapshot this client received (the one after joining), 0 if none.</summary>
    public int FirstFullBytes { get; private set; }

    public int EventMessageBytes { get; private set; }

    /// <summary>Room events (game events, joins, leaves, chat) missing by sequence number since this client's first one (windows or not): reliable messages that never arrived.</summary>
    public long EventsMissed { get; private set; }

    public string? WireError { get; protected set; }

    /// <summary>Datagram figures of a WebTransport client; null for a WebSocket one.</summary>
    public virtual DatagramCounts? Datagrams => null;

    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Opens a new measurement window.</summary>
    public void BeginWindow()
    {
        _window = new ClientWindow();
        OnMeasuringChanged(true);
    }

    /// <summary>Closes the window and returns what it saw.</summary>
    public ClientWindow EndWindow()
    {
        ClientWindow window = _window ?? new ClientWindow();
        _window = null;
        OnMeasuringChanged(false);
        return window;
    }

    /// <summary>Hello, then Join {room: "bench"}: what every client sends first.</summary>
    protected static byte[][] JoinMessages(int index) =>
    [
        MessageCodec.ToArray(new HelloMessage { ProtocolVersion = ProtocolInfo.Version }),
        MessageCodec.ToArray(new JoinMessage { Room = "bench", Name = "c" + index.ToString(CultureInfo.InvariantCulture) }),
    ];

    /// <summary>A SnapshotAck message for <paramref name="tick"/> (type byte first), written into <paramref name="destination"/> (6 bytes).</summary>
    protected static int WriteSnapshotAck(Span<byte> destination, uint tick)
    {
        destination[0] = (byte)MessageType.SnapshotAck;
        destination[1] = 1; // MemoryPack member count
        BinaryPrimitives.WriteUInt32LittleEndian(destination[2..], tick);
        return 6;
    }

    /// <summary>The window opens (true) or closes (false).</summary>
    protected virtual void OnMeasuringChanged(bool measuring)
    {
    }

    /// <summary>Starts the receive loops and the pinger; call once the client has joined.</summary>
    protected void Start(params Func<Task>[] receiveLoops) =>
        _loops = [.. receiveLoops.Select(Task.Run), Task.Run(PingAsync)];

    /// <summary>Sends one whole message (the pinger and, on WebSocket, acks).</summary>
    protected abstract Task SendAsync(byte[] message, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> only means the connection went away (ends a loop quietly).</summary>
    protected abstract bool IsClosed(Exception exception);

    /// <summary>Ends the connection at once, so the loops return.</summary>
    protected abstract ValueTask CloseAsync();

    /// <summary>
    /// A Snapshot, EntitySnapshot or GameEvent as received (type byte first), <paramref name="now"/>
    /// its Stopwatch receipt time. Returns the tick to acknowledge now (an entity snapshot was applied
    /// and the ack interval passed), or 0.
    /// </summary>
    protected uint Receive(ReadOnlySpan<byte> message, long now)
    {
        if (message.Length > 0 && message[0] == (byte)MessageType.EntitySnapshot)
        {
            return ReceiveEntitySnapshot(message);
        }

        if (message.Length >= EventSequenceOffset + 8 && (MessageType)message[0] is MessageType.Joined or MessageType.Left or MessageType.ChatPosted)
        {
            TrackSequence(message, _window); // room events share the game events' sequence numbers
            return 0;
        }

        if (message.Length < StampOffset + 8)
        {
            return 0;
        }

        ClientWindow? window = _window;
        var type = (MessageType)message[0];
        if (type == MessageType.Snapshot)
        {
            uint tick = BinaryPrimitives.ReadUInt32LittleEndian(message[TickOffset..]);
            if (Fresh(tick, window))
            {
                window?.Record(window.SnapshotLatency, now - BinaryPrimitives.ReadInt64LittleEndian(message[StampOffset..]), message.Length);
            }
        }
        else if (type == MessageType.GameEvent)
        {
            TrackSequence(message, window);
            if (window is not null)
            {
                window.Events++;
                window.Record(window.EventLatency, now - BinaryPrimitives.ReadInt64LittleEndian(message[StampOffset..]), message.Length);
            }
        }
        else
        {
            return 0;
        }

        CheckWireFormat(type, message);
        return 0;
    }

    /// <summary>
    /// A room event (GameEvent, Joined, Left, ChatPosted: reliable, numbered by the room in one
    /// sequence, the number first): a gap in the numbers is an event that never arrived.
    /// </summary>
    private void TrackSequence(ReadOnlySpan<byte> message, ClientWindow? window)
    {
        long sequence = BinaryPrimitives.ReadInt64LittleEndian(message[EventSequenceOffset..]);
        long missed = _lastEventSequence > 0 && sequence > _lastEventSequence + 1 ? sequence - _lastEventSequence - 1 : 0;
        bool reordered = _lastEventSequence > 0 && sequence <= _lastEventSequence;
        _lastEventSequence = Math.Max(_lastEventSequence, sequence);
        EventsMissed += missed;
        if (window is not null)
        {
            window.EventsMissed += missed;
            window.EventsReordered += reordered ? 1 : 0;
        }
    }

    /// <summary>The raw-UDP floor's datagram: stamp i64, tick u32, padding.</summary>
    protected void ReceiveRaw(ReadOnlySpan<byte> datagram, long now)
    {
        if (datagram.Length < 12)
        {
            return;
        }

        ClientWindow? window = _window;
        uint tick = BinaryPrimitives.ReadUInt32LittleEndian(datagram[8..]);
        if (Fresh(tick, window))
        {
            window?.Record(window.SnapshotLatency, now - BinaryPrimitives.ReadInt64LittleEndian(datagram), datagram.Length);
        }

        SnapshotMessageBytes = datagram.Length;
    }

    /// <summary>Tracks the newest tick; counts a snapshot that is not newer as stale, a newer one as received. False when stale.</summary>
    private bool Fresh(uint tick, ClientWindow? window)
    {
        bool stale = _haveTick && tick <= _lastTick;
        _haveTick = true;
        _lastTick = Math.Max(_lastTick, tick);
        if (window is null)
        {
            return !stale;
        }

        if (stale)
        {
            window.StaleSnapshots++;
            return false;
        }

        window.FirstTick = window.FirstTick < 0 ? tick : window.FirstTick;
        window.LastTick = tick;
        window.Snapshots++;
        return true;
    }

    private uint ReceiveEntitySnapshot(ReadOnlySpan<byte> message)
    {
        if (message.Length < EntityPayloadOffset
            || BinaryPrimitives.ReadInt32LittleEndian(message[EntityPayloadLengthOffset..]) is var length && (length < 0 || length != message.Length - EntityPayloadOffset))
        {
            WireError ??= "NO: an EntitySnapshot whose payload length does not match the message";
            return 0;
        }

        ReadOnlySpan<byte> payload = message[EntityPayloadOffset..];
        if (!SnapshotDecoder.TryReadHeader(payload, out uint tick, out uint baseline))
        {
            WireError ??= "NO: an EntitySnapshot payload without a header";
            return 0;
        }

        if (SnapshotMessageBytes == 0)
        {
            CheckWireFormat(MessageType.EntitySnapshot, message);
        }

        ClientWindow? window = _window;
        if (!Fresh(tick, window))
        {
            return 0;
        }

        if (baseline == 0 && FirstFullBytes == 0)
        {
            FirstFullBytes = message.Length;
        }

        bool applied = _decoder.TryApply(payload, out _);
        long appliedAt = Stopwatch.GetTimestamp();
        if (window is not null)
        {
            Interlocked.Add(ref window.BytesField, message.Length);
            if (baseline == 0)
            {
                window.FullSnapshots++;
                window.FullBytes += message.Length;
            }
            else
            {
                window.DeltaSnapshots++;
                window.DeltaBytes += message.Length;
            }
        }

        if (!applied)
        {
            if (window is not null)
            {
                window.Refused++;
            }

            return 0;
        }

        if (window is not null)
        {
            if (_decoder.Current.TryGetBody(BenchEntityRoom.StampId, out ReadOnlySpan<byte> stamp) && stamp.Length == BenchEntityRoom.StampBytes
                && BinaryPrimitives.ReadUInt32LittleEndian(stamp[8..]) == tick)
            {
                window.SnapshotLatency.RecordValue(Math.Max(0, appliedAt - BinaryPrimitives.ReadInt64LittleEndian(stamp)));
            }
            else
            {
                window.StampMissing++; // the budget left this tick's stamp out: no latency sample
            }
        }

        if (AckIntervalTicks > 0 && appliedAt - _lastAckAt < AckIntervalTicks)
        {
            return 0;
        }

        _lastAckAt = appliedAt;
        if (window is not null)
        {
            window.Acks++;
        }

        return tick;
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
        bool snapshot = type != MessageType.GameEvent;
        if (snapshot ? SnapshotMessageBytes != 0 : EventMessageBytes != 0)
        {
            return;
        }

        try
        {
            switch (type)
            {
                case MessageType.Snapshot:
                    MessageCodec.Read<SnapshotMessage>(message);
                    break;
                case MessageType.EntitySnapshot:
                    MessageCodec.Read<EntitySnapshotMessage>(message);
                    break;
                default:
                    MessageCodec.Read<GameEventMessage>(message);
                    break;
            }
        }
        catch (ProtocolException ex)
        {
            WireError ??= "NO: " + ex.Message;
        }

        if (snapshot)
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

/// <summary>What one client saw in one measurement window.</summary>
internal sealed class ClientWindow
{
#pragma warning disable CA1051 // counters written on the receive path
    public long BytesField;
#pragma warning restore CA1051

    public LongHistogram SnapshotLatency { get; } = new(TimeStamp.Seconds(10), 3);

    public LongHistogram EventLatency { get; } = new(TimeStamp.Seconds(10), 3);

    public long Snapshots { get; set; }

    public long Events { get; set; }

    /// <summary>Gaps in the events' sequence numbers in the window (reliable events that never arrived), and events not newer than the last one.</summary>
    public long EventsMissed { get; set; }

    public long EventsReordered { get; set; }

    public long Bytes => Interlocked.Read(ref BytesField);

    /// <summary>Snapshots whose tick was not newer than the last one (latest-wins: ignored, like a real client).</summary>
    public long StaleSnapshots { get; set; }

    public long FirstTick { get; set; } = -1;

    public long LastTick { get; set; } = -1;

    /// <summary>Ticks from the first to the last snapshot received in the window: what a lossless transport would have delivered.</summary>
    public long TicksSpanned => FirstTick < 0 ? 0 : LastTick - FirstTick + 1;

    /// <summary>Entity snapshots against the empty state (baseline 0), and their message bytes.</summary>
    public long FullSnapshots { get; set; }

    public long FullBytes { get; set; }

    /// <summary>Entity snapshots against an acknowledged baseline, and their message bytes.</summary>
    public long DeltaSnapshots { get; set; }

    public long DeltaBytes { get; set; }

    /// <summary>Entity snapshots the decoder refused (baseline not held, malformed).</summary>
    public long Refused { get; set; }

    /// <summary>Applied entity snapshots without this tick's stamp (left out by the budget).</summary>
    public long StampMissing { get; set; }

    /// <summary>Acknowledgements sent.</summary>
    public long Acks { get; set; }

    public void Record(LongHistogram histogram, long latency, int bytes)
    {
        histogram.RecordValue(Math.Max(0, latency)); // Stopwatch ticks
        Interlocked.Add(ref BytesField, bytes);
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

    /// <summary>SnapshotAck datagrams the client's session refused to send (its datagram queue was full).</summary>
    public long AcksNotSent { get; init; }

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
            AcksNotSent = list.Sum(d => d.AcksNotSent),
        };
    }
}
