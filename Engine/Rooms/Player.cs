using Engine.Snapshots;
using Engine.Transport.Abstractions;

namespace Engine.Rooms;

/// <summary>A member of a room.</summary>
public sealed class Player
{
    /// <summary>Most inputs held per player between ticks; older ones are dropped first.</summary>
    internal const int InputQueueCapacity = 64;

    /// <summary>Largest input payload accepted, in bytes.</summary>
    public const int MaxInputBytes = 256;

    private readonly QueuedInput[] _inputs = new QueuedInput[InputQueueCapacity];
    private readonly Lock _inputGate = new(); // inputs arrive on I/O threads (a datagram on the QUIC driver) without the room's lock
    private int _inputHead;
    private int _inputCount;

    internal Player(int id, string name)
    {
        Id = id;
        Name = name;
    }

    /// <summary>Unique per process; stable across a resume.</summary>
    public int Id { get; }

    /// <summary>Display name.</summary>
    public string Name { get; }

    /// <summary>Game state attached to this player; Engine never touches it.</summary>
    public object? Data { get; set; }

    /// <summary>False while the connection is lost and the seat is held for a resume.</summary>
    public bool IsOnline => Session is not null;

    /// <summary>The highest input sequence applied so far.</summary>
    public uint LastProcessedInput { get; internal set; }

    /// <summary>The transport session, null while held.</summary>
    internal ITransportSession? Session { get; set; }

    internal long LastSeen { get; set; }

    internal long TypingUntil { get; set; }

    internal long HeldUntil { get; set; }

    /// <summary>The seat as recorded for a resume on another instance (clustered rooms); null when not recorded.</summary>
    internal Cluster.SeatRecord? Seat { get; set; }

    /// <summary>
    /// For a seat restored from the records when the room moved here: the last event the room had
    /// stored then. A client that saw later events saw ones this instance never had (its earlier owner
    /// died before storing them), so its first resume cannot be gap-free. −1 otherwise.
    /// </summary>
    internal long RestoredAfter { get; set; } = -1;

    /// <summary>Inputs dropped because the queue was full (the oldest go first).</summary>
    internal long InputsDropped
    {
        get
        {
            lock (_inputGate)
            {
                return _inputsDropped;
            }
        }
    }

    /// <summary>True while the player holds a seat in a room (set under the room's lock; read by I/O threads).</summary>
    internal bool IsSeated
    {
        get => Volatile.Read(ref _seated);
        set => Volatile.Write(ref _seated, value);
    }

    private bool _seated;
    private long _inputsDropped;
    private int _snapshotAck; // a uint tick; int for Interlocked

    /// <summary>This player's entity-snapshot encoder (entity rooms), created on the first snapshot; used under the room's lock.</summary>
    internal SnapshotEncoder? Snapshots { get; set; }

    /// <summary>The room's interest hook bound to this player (entity rooms with interest).</summary>
    internal IInterest? Interest { get; set; }

    /// <summary>Records the client's acknowledgement of snapshot <paramref name="tick"/> from any thread; the newest wins.</summary>
    internal void ObserveSnapshotAck(uint tick)
    {
        int seen = Volatile.Read(ref _snapshotAck);
        while (tick > (uint)seen)
        {
            int previous = Interlocked.CompareExchange(ref _snapshotAck, (int)tick, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>The newest acknowledged snapshot tick (0 = none).</summary>
    internal uint SnapshotAck => (uint)Volatile.Read(ref _snapshotAck);

    /// <summary>A new session attached: its client holds no snapshot, so the next one is full.</summary>
    internal void ResetSnapshots()
    {
        Snapshots?.Reset();
        Volatile.Write(ref _snapshotAck, 0);
    }

    /// <summary>Queues one input from any thread (its own short lock, never the room's); returns false when the oldest had to be dropped.</summary>
    internal bool EnqueueInput(uint sequence, uint clientTick, ReadOnlySpan<byte> data)
    {
        bool dropped = false;
        lock (_inputGate)
        {
            if (_inputCount == InputQueueCapacity)
            {
                _inputHead = (_inputHead + 1) % InputQueueCapacity;
                _inputCount--;
                _inputsDropped++;
                dropped = true;
            }

            ref QueuedInput slot = ref _inputs[(_inputHead + _inputCount) % InputQueueCapacity];
            slot.Buffer ??= new byte[MaxInputBytes];
            data.CopyTo(slot.Buffer);
            slot.Length = data.Length;
            slot.Sequence = sequence;
            slot.ClientTick = clientTick;
            _inputCount++;
        }

        return !dropped;
    }

    /// <summary>Applies queued inputs in order (under the room's lock); each input is taken out under the queue's lock, then applied outside it.</summary>
    internal void DrainInputs(Room room)
    {
        Span<byte> data = stackalloc byte[MaxInputBytes];
        while (TryDequeueInput(data, out uint sequence, out uint clientTick, out int length))
        {
            // Old or duplicate sequences (a resent input) are not applied twice.
            if (sequence <= LastProcessedInput && LastProcessedInput != 0)
            {
                continue;
            }

            room.OnInput(this, new PlayerInput(sequence, clientTick, data[..length]));
            LastProcessedInput = sequence;
        }
    }

    private bool TryDequeueInput(Span<byte> destination, out uint sequence, out uint clientTick, out int length)
    {
        lock (_inputGate)
        {
            if (_inputCount == 0)
            {
                sequence = clientTick = 0;
                length = 0;
                return false;
            }

            ref QueuedInput slot = ref _inputs[_inputHead];
            _inputHead = (_inputHead + 1) % InputQueueCapacity;
            _inputCount--;
            slot.Buffer.AsSpan(0, slot.Length).CopyTo(destination);
            (sequence, clientTick, length) = (slot.Sequence, slot.ClientTick, slot.Length);
            return true;
        }
    }

    public override string ToString() => $"{Name}#{Id}";

    private struct QueuedInput
    {
        public byte[]? Buffer;
        public int Length;
        public uint Sequence;
        public uint ClientTick;
    }
}
