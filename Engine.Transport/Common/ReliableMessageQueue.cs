using System.Buffers;

namespace Engine.Transport.Common;

/// <summary>
/// A fixed-capacity ring of pooled message buffers, oldest first. Allocated once; enqueue and
/// dequeue allocate nothing.
/// </summary>
/// <remarks>Not thread-safe: the owning session guards every call with its lock.</remarks>
internal sealed class ReliableMessageQueue(int capacity)
{
    private readonly PooledMessage[] _items = new PooledMessage[capacity];
    private int _head;
    private int _count;

    public int Capacity => _items.Length;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Queues a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the queue owns it after true.</summary>
    public bool TryEnqueue(byte[] buffer, int length)
    {
        if (_count == _items.Length)
        {
            return false;
        }

        _items[(_head + _count) % _items.Length] = new PooledMessage(buffer, length);
        Volatile.Write(ref _count, _count + 1);
        return true;
    }

    /// <summary>Takes the oldest message; the caller then owns the buffer and returns it to the pool.</summary>
    public bool TryDequeue(out PooledMessage message)
    {
        if (_count == 0)
        {
            message = default;
            return false;
        }

        message = _items[_head];
        _items[_head] = default;
        _head = (_head + 1) % _items.Length;
        Volatile.Write(ref _count, _count - 1);
        return true;
    }

    /// <summary>Drops every queued message, returning the buffers to the pool.</summary>
    /// <returns>How many messages were dropped.</returns>
    public int Clear()
    {
        int dropped = _count;
        while (TryDequeue(out PooledMessage message))
        {
            ArrayPool<byte>.Shared.Return(message.Buffer);
        }

        return dropped;
    }
}

/// <summary>A message in a buffer rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
internal readonly record struct PooledMessage(byte[] Buffer, int Length)
{
    public ReadOnlyMemory<byte> Memory => new(Buffer, 0, Length);
}
