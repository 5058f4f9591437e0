using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Quic;

/// <summary>
/// Reassembles one packet space's crypto stream from CRYPTO frames (RFC 9000 §19.6, §7.5):
/// frames may arrive in any order, repeat, or overlap. Bytes are held from the read offset up to
/// a fixed capacity ahead of it; a frame reaching beyond that is CRYPTO_BUFFER_EXCEEDED.
/// Overlapping bytes keep their first copy. Not thread-safe.
/// </summary>
internal sealed class CryptoStreamBuffer
{
    /// <summary>Default bound on buffered bytes beyond the read offset (RFC 9000 §7.5 asks for at least 4096).</summary>
    public const int DefaultCapacity = 64 * 1024;

    private readonly int _capacity;

    /// <summary>Grows on demand up to the capacity: a handshake moves a few KB, and most connections never use their 1-RTT crypto stream.</summary>
    private byte[] _buffer = [];

    /// <summary>Received ranges [Start, End) in absolute stream offsets ≥ <see cref="ReadOffset"/>, sorted, disjoint, not adjacent.</summary>
    private readonly List<(ulong Start, ulong End)> _ranges = [];

    public CryptoStreamBuffer(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public int Capacity => _capacity;

    /// <summary>Stream offset of the first byte not yet consumed.</summary>
    public ulong ReadOffset { get; private set; }

    /// <summary>Distinct stream bytes received so far (consumed ones included).</summary>
    public ulong BytesReceived { get; private set; }

    /// <summary>Stream offset one past the contiguous bytes available from <see cref="ReadOffset"/>.</summary>
    public ulong ContiguousEnd => _ranges.Count > 0 && _ranges[0].Start == ReadOffset ? _ranges[0].End : ReadOffset;

    /// <summary>The contiguous unconsumed bytes from <see cref="ReadOffset"/>; valid until the next call.</summary>
    public ReadOnlySpan<byte> Contiguous => _buffer.AsSpan(0, (int)(ContiguousEnd - ReadOffset));

    /// <summary>
    /// Adds a CRYPTO frame's data. <paramref name="newBytes"/> counts bytes not seen before (0 for
    /// a pure duplicate). Returns CRYPTO_BUFFER_EXCEEDED when the data ends beyond
    /// <see cref="ReadOffset"/> + <see cref="Capacity"/>, otherwise NoError.
    /// </summary>
    public QuicTransportErrorCode Add(ulong offset, ReadOnlySpan<byte> data, out int newBytes)
    {
        newBytes = 0;
        ulong end = offset + (ulong)data.Length; // CryptoFrame.TryRead already bounds this by 2^62
        if (end > ReadOffset + (ulong)_capacity)
        {
            return QuicTransportErrorCode.CryptoBufferExceeded;
        }

        if (end <= ReadOffset || data.IsEmpty)
        {
            return QuicTransportErrorCode.NoError;
        }

        if (offset < ReadOffset)
        {
            data = data[(int)(ReadOffset - offset)..];
            offset = ReadOffset;
        }

        int needed = (int)(end - ReadOffset);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_capacity, Math.Max(needed, Math.Max(2048, _buffer.Length * 2))));
        }

        // Copy only the gaps, so earlier bytes keep their first copy.
        ulong cursor = offset;
        foreach ((ulong start, ulong stop) in _ranges)
        {
            if (stop <= cursor)
            {
                continue;
            }

            if (start >= end)
            {
                break;
            }

            if (start > cursor)
            {
                newBytes += CopyGap(cursor, start, offset, data);
            }

            cursor = Math.Max(cursor, stop);
            if (cursor >= end)
            {
                break;
            }
        }

        if (cursor < end)
        {
            newBytes += CopyGap(cursor, end, offset, data);
        }

        if (newBytes > 0)
        {
            InsertRange(offset, end);
            BytesReceived += (ulong)newBytes;
        }

        return QuicTransportErrorCode.NoError;
    }

    /// <summary>Drops <paramref name="count"/> contiguous bytes from the front (after a message is handled).</summary>
    public void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((ulong)count, ContiguousEnd - ReadOffset);
        if (count == 0)
        {
            return;
        }

        ulong newRead = ReadOffset + (ulong)count;
        ulong highest = _ranges[^1].End;
        int keep = (int)(highest - newRead);
        _buffer.AsSpan(count, keep).CopyTo(_buffer);
        ReadOffset = newRead;
        if (_ranges[0].End == newRead)
        {
            _ranges.RemoveAt(0);
        }
        else
        {
            _ranges[0] = (newRead, _ranges[0].End);
        }
    }

    private int CopyGap(ulong from, ulong to, ulong dataOffset, ReadOnlySpan<byte> data)
    {
        int length = (int)(to - from);
        data.Slice((int)(from - dataOffset), length).CopyTo(_buffer.AsSpan((int)(from - ReadOffset)));
        return length;
    }

    private void InsertRange(ulong start, ulong end)
    {
        int i = 0;
        while (i < _ranges.Count && _ranges[i].End < start)
        {
            i++;
        }

        // Merge every range that overlaps or touches [start, end).
        while (i < _ranges.Count && _ranges[i].Start <= end)
        {
            start = Math.Min(start, _ranges[i].Start);
            end = Math.Max(end, _ranges[i].End);
            _ranges.RemoveAt(i);
        }

        _ranges.Insert(i, (start, end));
    }
}
