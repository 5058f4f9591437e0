using Engine.Protocol;

namespace Engine.Rooms;

/// <summary>A room event as kept for replay: its wire bytes, and its JSON for Server-Sent Events.</summary>
internal sealed record RoomEvent(long Sequence, string Name, byte[] Binary, string Json, MessageType Type);

/// <summary>
/// The bounded replay buffer of a room's reliable events, oldest overwritten first. Not
/// thread-safe: the room's lock guards it.
/// </summary>
internal sealed class EventLog(int capacity)
{
    private readonly RoomEvent[] _ring = new RoomEvent[capacity];
    private int _start;
    private int _count;

    /// <summary>The sequence of the newest event, 0 when none.</summary>
    public long LastSequence { get; private set; }

    public int Count => _count;

    /// <summary>The sequence of the oldest event held; <see cref="LastSequence"/> + 1 when none.</summary>
    public long OldestSequence => _count == 0 ? LastSequence + 1 : _ring[_start].Sequence;

    /// <summary>
    /// Continues an earlier life of the room (its events in the durable store): the next event gets
    /// <paramref name="sequence"/> + 1. Only before the first event.
    /// </summary>
    public void StartAfter(long sequence)
    {
        if (_count == 0 && sequence > LastSequence)
        {
            LastSequence = sequence;
        }
    }

    public void Append(RoomEvent e)
    {
        if (_count == _ring.Length)
        {
            _ring[_start] = e;
            _start = (_start + 1) % _ring.Length;
        }
        else
        {
            _ring[(_start + _count) % _ring.Length] = e;
            _count++;
        }

        LastSequence = e.Sequence;
    }

    /// <summary>
    /// The events after <paramref name="lastSeen"/>, in order. False when some of them are no longer
    /// held (or <paramref name="lastSeen"/> is from the future): the caller must resync instead.
    /// </summary>
    public bool TryGetSince(long lastSeen, out List<RoomEvent> missed)
    {
        missed = [];
        if (lastSeen > LastSequence || lastSeen < 0)
        {
            return false;
        }

        long oldest = _count == 0 ? LastSequence + 1 : _ring[_start].Sequence;
        if (lastSeen < oldest - 1)
        {
            return false;
        }

        for (int i = 0; i < _count; i++)
        {
            RoomEvent e = _ring[(_start + i) % _ring.Length];
            if (e.Sequence > lastSeen)
            {
                missed.Add(e);
            }
        }

        return true;
    }
}
