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

    /// <summary>Inputs dropped because the queue was full (the oldest go first).</summary>
    internal long InputsDropped { get; private set; }

    internal void EnqueueInput(uint sequence, uint clientTick, ReadOnlySpan<byte> data)
    {
        if (_inputCount == InputQueueCapacity)
        {
            _inputHead = (_inputHead + 1) % InputQueueCapacity;
            _inputCount--;
            InputsDropped++;
        }

        ref QueuedInput slot = ref _inputs[(_inputHead + _inputCount) % InputQueueCapacity];
        slot.Buffer ??= new byte[MaxInputBytes];
        data.CopyTo(slot.Buffer);
        slot.Length = data.Length;
        slot.Sequence = sequence;
        slot.ClientTick = clientTick;
        _inputCount++;
    }

    internal void DrainInputs(Room room)
    {
        while (_inputCount > 0)
        {
            ref QueuedInput slot = ref _inputs[_inputHead];
            _inputHead = (_inputHead + 1) % InputQueueCapacity;
            _inputCount--;

            // Old or duplicate sequences (a resent input) are not applied twice.
            if (slot.Sequence <= LastProcessedInput && LastProcessedInput != 0)
            {
                continue;
            }

            room.OnInput(this, new PlayerInput(slot.Sequence, slot.ClientTick, slot.Buffer.AsSpan(0, slot.Length)));
            LastProcessedInput = slot.Sequence;
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
