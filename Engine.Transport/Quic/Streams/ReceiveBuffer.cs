using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Quic.Streams;

/// <summary>
/// Reassembles one stream's received data: frames may arrive out of order, overlap or repeat
/// (any copy of a byte is taken as the byte; differing retransmissions are not detected), and
/// the application reads the contiguous prefix. Enforces the final size (RFC 9000 §4.5) and a
/// hard bound of <see cref="Capacity"/> bytes past the read offset, which the stream keeps equal
/// to the flow-control window it advertises.
/// </summary>
internal sealed class ReceiveBuffer
{
    private readonly StreamRing _ring;
    private readonly ByteRangeSet _received = new();

    public ReceiveBuffer(int capacity) => _ring = new StreamRing(capacity);

    /// <summary>Returns the buffer to the pool; called once the stream is released and its bytes are no longer needed.</summary>
    public void Release() => _ring.Release();

    /// <summary>Most bytes held beyond <see cref="ReadOffset"/>.</summary>
    public int Capacity => _ring.MaxCapacity;

    /// <summary>Bytes handed to the application (or discarded) so far.</summary>
    public ulong ReadOffset { get; private set; }

    /// <summary>The largest offset + length seen in any frame (what flow control counts).</summary>
    public ulong HighestReceived { get; private set; }

    /// <summary>The stream's final size, once a FIN (or reset) fixed it.</summary>
    public ulong? FinalSize { get; private set; }

    /// <summary>Bytes readable now, from <see cref="ReadOffset"/>.</summary>
    public ulong ReadableLength => _received.ContiguousEnd(ReadOffset) - ReadOffset;

    /// <summary>Every byte up to the final size has arrived.</summary>
    public bool IsComplete => FinalSize is ulong size && _received.ContiguousEnd(ReadOffset) >= size;

    /// <summary>The application has read up to the final size.</summary>
    public bool IsFinished => FinalSize is ulong size && ReadOffset == size;

    /// <summary>
    /// Checks a frame's end against the final size: NoError, or FINAL_SIZE_ERROR when data lies
    /// past a known final size, a FIN changes it, or a FIN lies below data already received.
    /// </summary>
    public QuicTransportErrorCode CheckFinalSize(ulong end, bool fin)
    {
        if (FinalSize is ulong size)
        {
            return end > size || (fin && end != size) ? QuicTransportErrorCode.FinalSizeError : QuicTransportErrorCode.NoError;
        }

        return fin && end < HighestReceived ? QuicTransportErrorCode.FinalSizeError : QuicTransportErrorCode.NoError;
    }

    /// <summary>
    /// Stores a frame's data. Returns FINAL_SIZE_ERROR (see <see cref="CheckFinalSize"/>) or
    /// FLOW_CONTROL_ERROR when the data reaches past <see cref="ReadOffset"/> + <see cref="Capacity"/>;
    /// nothing changes on error.
    /// </summary>
    public QuicTransportErrorCode Receive(ulong offset, ReadOnlySpan<byte> data, bool fin)
    {
        ulong end = offset + (ulong)data.Length;
        QuicTransportErrorCode error = CheckFinalSize(end, fin);
        if (error != QuicTransportErrorCode.NoError)
        {
            return error;
        }

        if (end > ReadOffset && end - ReadOffset > (ulong)Capacity)
        {
            return QuicTransportErrorCode.FlowControlError;
        }

        if (fin)
        {
            FinalSize = end;
        }

        if (end > ReadOffset)
        {
            ulong start = Math.Max(offset, ReadOffset);
            ReadOnlySpan<byte> fresh = data[(int)(start - offset)..];
            _ring.EnsureCapacity(ReadOffset, Math.Max(HighestReceived, ReadOffset), end);
            _ring.Write(start, fresh);
            _received.Add(start, end);
        }

        HighestReceived = Math.Max(HighestReceived, end);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>Copies readable bytes into <paramref name="destination"/>; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        int count = (int)Math.Min((ulong)destination.Length, ReadableLength);
        if (count > 0)
        {
            _ring.Read(ReadOffset, destination[..count]);
            Consume((ulong)count);
        }

        return count;
    }

    /// <summary>Drops every readable byte without copying it; returns how many.</summary>
    public ulong DiscardReadable()
    {
        ulong count = ReadableLength;
        Consume(count);
        return count;
    }

    /// <summary>
    /// Fixes the final size after a RESET_STREAM and forgets all buffered data (the caller has
    /// checked the final size). Returns the bytes between the read offset and the final size,
    /// which no longer hold flow-control credit.
    /// </summary>
    public ulong Reset(ulong finalSize)
    {
        ulong released = finalSize - ReadOffset;
        FinalSize = finalSize;
        HighestReceived = finalSize;
        ReadOffset = finalSize;
        _received.Clear();
        return released;
    }

    private void Consume(ulong count)
    {
        ReadOffset += count;
        _received.RemoveBelow(ReadOffset);
    }
}
