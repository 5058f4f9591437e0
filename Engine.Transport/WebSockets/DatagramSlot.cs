using System.Buffers;

namespace Engine.Transport.WebSockets;

/// <summary>
/// One unreliable channel's latest-wins slot: the datagram waiting to be written, plus the buffer
/// the writer is sending from. Two pooled buffers swap roles, so a newer datagram never touches
/// bytes that are on their way to the socket and steady-state traffic allocates nothing.
/// </summary>
/// <remarks>Not thread-safe: the owning session guards every call with its lock.</remarks>
internal sealed class DatagramSlot
{
    private byte[]? _pending;
    private byte[]? _sending;

    /// <summary>Whether a datagram waits to be written.</summary>
    public bool HasPending { get; private set; }

    /// <summary>Copies <paramref name="datagram"/> in, replacing any unsent one.</summary>
    /// <returns>True when an unsent datagram was replaced (a drop).</returns>
    public bool Store(ReadOnlySpan<byte> datagram)
    {
        if (_pending is null || _pending.Length < datagram.Length)
        {
            // The pending buffer is never being sent, so it can go back to the pool right away.
            if (_pending is not null)
            {
                ArrayPool<byte>.Shared.Return(_pending);
            }

            _pending = ArrayPool<byte>.Shared.Rent(Math.Max(datagram.Length, 1));
        }

        datagram.CopyTo(_pending);
        bool replaced = HasPending;
        HasPending = true;
        PendingLength = datagram.Length;
        return replaced;
    }

    /// <summary>The length of the pending datagram.</summary>
    public int PendingLength { get; private set; }

    /// <summary>
    /// Hands the pending datagram to the writer. The returned buffer stays owned by the slot and
    /// must not be used after the writer's next <see cref="TakePending"/> on this slot.
    /// </summary>
    public ReadOnlyMemory<byte> TakePending()
    {
        (_pending, _sending) = (_sending, _pending);
        HasPending = false;
        return new ReadOnlyMemory<byte>(_sending, 0, PendingLength);
    }

    /// <summary>Forgets the pending datagram (the session is closing).</summary>
    public void DropPending() => HasPending = false;

    /// <summary>Returns both buffers to the pool. Only once the writer has stopped.</summary>
    public void ReturnBuffers()
    {
        if (_pending is not null)
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
        }

        if (_sending is not null)
        {
            ArrayPool<byte>.Shared.Return(_sending);
            _sending = null;
        }

        HasPending = false;
    }
}
