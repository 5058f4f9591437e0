namespace Engine.Transport.Quic.Connection;

/// <summary>
/// A bounded FIFO of datagram payloads in reusable slots. When full, adding drops the oldest
/// (for game state a newer tick supersedes an older one). Slots grow to the largest payload
/// seen and are then reused, so steady state allocates nothing. Not thread-safe.
/// </summary>
internal sealed class DatagramRing
{
    private readonly byte[]?[] _slots;
    private readonly int[] _lengths;
    private int _head;
    private int _count;

    public DatagramRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new byte[]?[capacity];
        _lengths = new int[capacity];
    }

    public int Count => _count;

    public int Capacity => _slots.Length;

    /// <summary>Datagrams dropped because the ring was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Adds a copy of <paramref name="payload"/>; returns true if an older datagram was dropped to make room.</summary>
    public bool Enqueue(ReadOnlySpan<byte> payload)
    {
        bool dropped = false;
        if (_count == _slots.Length)
        {
            _head = (_head + 1) % _slots.Length;
            _count--;
            Dropped++;
            dropped = true;
        }

        int index = (_head + _count) % _slots.Length;
        byte[]? slot = _slots[index];
        if (slot is null || slot.Length < payload.Length)
        {
            slot = new byte[Math.Max(payload.Length, 64)];
            _slots[index] = slot;
        }

        payload.CopyTo(slot);
        _lengths[index] = payload.Length;
        _count++;
        return dropped;
    }

    /// <summary>The oldest datagram, still queued; valid until the next mutation.</summary>
    public bool TryPeek(out ReadOnlySpan<byte> payload)
    {
        if (_count == 0)
        {
            payload = default;
            return false;
        }

        payload = _slots[_head].AsSpan(0, _lengths[_head]);
        return true;
    }

    public void Discard()
    {
        if (_count > 0)
        {
            _head = (_head + 1) % _slots.Length;
            _count--;
        }
    }

    /// <summary>Copies the oldest datagram into <paramref name="destination"/> and removes it; false if empty or it does not fit (then it stays).</summary>
    public bool TryDequeue(Span<byte> destination, out int length)
    {
        length = 0;
        if (!TryPeek(out ReadOnlySpan<byte> payload) || payload.Length > destination.Length)
        {
            return false;
        }

        payload.CopyTo(destination);
        length = payload.Length;
        Discard();
        return true;
    }
}
