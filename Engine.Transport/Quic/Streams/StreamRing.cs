using System.Buffers;

namespace Engine.Transport.Quic.Streams;

/// <summary>
/// Bytes of a stream keyed by absolute stream offset: offset o lives at <c>o % Length</c>. The
/// caller keeps the live window [start, end) no longer than <see cref="MaxCapacity"/>; the array
/// starts small and doubles up to that bound, so idle streams cost little and busy streams stop
/// allocating once grown. Arrays come from <see cref="ArrayPool{T}.Shared"/> (any length at
/// least the window works, since offsets wrap modulo the length) and go back on growth and on
/// <see cref="Release"/>, so a stream's buffers are reused by the next stream.
/// </summary>
internal sealed class StreamRing
{
    private const int InitialCapacity = 4096;

    private byte[] _buffer;

    public StreamRing(int maxCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCapacity);
        MaxCapacity = maxCapacity;
        _buffer = [];
    }

    /// <summary>The most bytes the live window may ever span.</summary>
    public int MaxCapacity { get; }

    /// <summary>Bytes currently allocated.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>
    /// Makes room for the window [liveStart, requiredEnd), keeping the bytes of [liveStart, liveEnd).
    /// The caller guarantees requiredEnd − liveStart ≤ <see cref="MaxCapacity"/>.
    /// </summary>
    public void EnsureCapacity(ulong liveStart, ulong liveEnd, ulong requiredEnd)
    {
        ulong required = requiredEnd - liveStart;
        if (required <= (ulong)_buffer.Length)
        {
            return;
        }

        if (required > (ulong)MaxCapacity)
        {
            throw new InvalidOperationException($"Stream buffer window of {required} bytes exceeds its bound of {MaxCapacity}.");
        }

        long size = Math.Max(InitialCapacity, _buffer.Length);
        while ((ulong)size < required)
        {
            size *= 2;
        }

        byte[] grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, MaxCapacity));
        if (liveEnd > liveStart && _buffer.Length > 0)
        {
            var old = _buffer;
            for (ulong offset = liveStart; offset < liveEnd;)
            {
                ReadOnlySpan<byte> from = Segment(old, offset, liveEnd - offset);
                Span<byte> to = Segment(grown, offset, (ulong)from.Length);
                from[..to.Length].CopyTo(to);
                offset += (ulong)to.Length;
            }
        }

        ReturnBuffer();
        _buffer = grown;
    }

    /// <summary>Gives the array back to the pool once the stream is done; the ring is empty afterwards.</summary>
    public void Release()
    {
        ReturnBuffer();
        _buffer = [];
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }

    /// <summary>Copies <paramref name="data"/> to offsets [offset, offset + data.Length).</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Span<byte> to = Segment(_buffer, offset, (ulong)data.Length);
            data[..to.Length].CopyTo(to);
            data = data[to.Length..];
            offset += (ulong)to.Length;
        }
    }

    /// <summary>Copies offsets [offset, offset + destination.Length) into <paramref name="destination"/>.</summary>
    public void Read(ulong offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            ReadOnlySpan<byte> from = Segment(_buffer, offset, (ulong)destination.Length);
            from.CopyTo(destination);
            destination = destination[from.Length..];
            offset += (ulong)from.Length;
        }
    }

    /// <summary>The bytes from <paramref name="offset"/> up to <paramref name="maxLength"/> or the end of the array, whichever is first.</summary>
    public ReadOnlySpan<byte> GetContiguous(ulong offset, int maxLength) =>
        maxLength <= 0 || _buffer.Length == 0 ? default : Segment(_buffer, offset, (ulong)maxLength);

    private static Span<byte> Segment(byte[] buffer, ulong offset, ulong maxLength)
    {
        int start = (int)(offset % (ulong)buffer.Length);
        int length = (int)Math.Min(maxLength, (ulong)(buffer.Length - start));
        return buffer.AsSpan(start, length);
    }
}
