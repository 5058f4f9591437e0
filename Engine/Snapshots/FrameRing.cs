namespace Engine.Snapshots;

/// <summary>
/// A fixed number of frames keyed by tick, the oldest replaced first. Both ends of the codec keep
/// one: the encoder the client views it sent, the decoder the frames it applied. Frames are swapped
/// in and out rather than copied, so storing a frame costs nothing and allocates nothing.
/// </summary>
internal sealed class FrameRing
{
    private readonly uint[] _ticks;
    private readonly EntityFrame[] _frames;
    private int _next;

    public FrameRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ticks = new uint[capacity];
        _frames = new EntityFrame[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _frames[i] = new EntityFrame();
        }
    }

    public int Capacity => _frames.Length;

    /// <summary>The frame stored under <paramref name="tick"/>, or null (tick 0 is never stored).</summary>
    public EntityFrame? Find(uint tick)
    {
        if (tick == 0)
        {
            return null;
        }

        for (int i = 0; i < _ticks.Length; i++)
        {
            if (_ticks[i] == tick)
            {
                return _frames[i];
            }
        }

        return null;
    }

    /// <summary>Stores <paramref name="frame"/> under <paramref name="tick"/> in place of the oldest entry and returns the evicted frame, emptied, for reuse.</summary>
    public EntityFrame Store(uint tick, EntityFrame frame)
    {
        EntityFrame evicted = _frames[_next];
        _frames[_next] = frame;
        _ticks[_next] = tick;
        _next = (_next + 1) % _frames.Length;
        evicted.Clear();
        return evicted;
    }

    /// <summary>Forgets every tick.</summary>
    public void Clear() => Array.Clear(_ticks);
}
