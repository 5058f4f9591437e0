namespace Engine.Transport.Quic.Streams;

/// <summary>
/// One stream's outgoing bytes from the application until the peer acknowledges them. Offsets
/// below <see cref="AckedOffset"/> are acknowledged and freed; [<see cref="AckedOffset"/>,
/// <see cref="WrittenOffset"/>) is buffered (at most <see cref="Capacity"/> bytes); bytes below
/// <see cref="SentOffset"/> were sent at least once and come back through <see cref="OnLost"/>
/// for retransmission. Retransmissions are served before new data.
/// </summary>
internal sealed class SendBuffer
{
    private readonly StreamRing _ring;
    private readonly ByteRangeSet _acked = new();   // above AckedOffset only
    private readonly ByteRangeSet _lost = new();    // unacknowledged sent ranges to send again

    public SendBuffer(int capacity) => _ring = new StreamRing(capacity);

    /// <summary>Returns the buffer to the pool; called once the stream is released and its bytes are no longer needed.</summary>
    public void Release() => _ring.Release();

    public int Capacity => _ring.MaxCapacity;

    /// <summary>Everything below is acknowledged.</summary>
    public ulong AckedOffset { get; private set; }

    /// <summary>Everything below was sent at least once (the stream's flow-control usage).</summary>
    public ulong SentOffset { get; private set; }

    /// <summary>Everything below was accepted from the application.</summary>
    public ulong WrittenOffset { get; private set; }

    /// <summary>The application ended the stream; the final size is <see cref="WrittenOffset"/>.</summary>
    public bool FinWritten { get; private set; }

    /// <summary>A frame carrying FIN was sent.</summary>
    public bool FinSent { get; private set; }

    /// <summary>The FIN was acknowledged.</summary>
    public bool FinAcked { get; private set; }

    /// <summary>A frame carrying FIN was lost and FIN is not yet acknowledged.</summary>
    public bool FinLost { get; private set; }

    /// <summary>Room for more application bytes.</summary>
    public int FreeSpace => Capacity - (int)(WrittenOffset - AckedOffset);

    /// <summary>Bytes (or a FIN) wait for their first transmission.</summary>
    public bool HasUnsent => SentOffset < WrittenOffset || (FinWritten && !FinSent);

    /// <summary>Lost bytes (or a lost FIN) wait for retransmission.</summary>
    public bool HasLost => !_lost.IsEmpty || FinLost;

    /// <summary>Every byte and the FIN are acknowledged.</summary>
    public bool IsAllAcked => FinAcked && AckedOffset == WrittenOffset;

    /// <summary>
    /// Buffers up to <see cref="FreeSpace"/> bytes of <paramref name="data"/> and returns how
    /// many; <paramref name="fin"/> ends the stream only when every byte was taken.
    /// </summary>
    public int Write(ReadOnlySpan<byte> data, bool fin)
    {
        if (FinWritten)
        {
            throw new InvalidOperationException("The stream's sending part was already ended (FIN written).");
        }

        int count = Math.Min(data.Length, FreeSpace);
        if (count > 0)
        {
            _ring.EnsureCapacity(AckedOffset, WrittenOffset, WrittenOffset + (ulong)count);
            _ring.Write(WrittenOffset, data[..count]);
            WrittenOffset += (ulong)count;
        }

        if (fin && count == data.Length)
        {
            FinWritten = true;
        }

        return count;
    }

    /// <summary>
    /// The next retransmission: the first lost range, cut to <paramref name="maxLength"/> and to
    /// the end of the ring's array (so one contiguous span); FIN is set when the range reaches the
    /// final size. False when nothing is lost. <paramref name="data"/> stays valid until the next
    /// write or acknowledgment.
    /// </summary>
    public bool TryPeekLost(int maxLength, out ulong offset, out ReadOnlySpan<byte> data, out bool fin)
    {
        if (!_lost.IsEmpty)
        {
            ByteRange range = _lost[0];
            offset = range.Start;
            data = _ring.GetContiguous(offset, (int)Math.Min(range.Length, (ulong)Math.Max(maxLength, 0)));
            fin = FinSent && !FinAcked && offset + (ulong)data.Length == WrittenOffset;
            return data.Length > 0;
        }

        offset = WrittenOffset;
        data = default;
        fin = FinLost;
        return FinLost;
    }

    /// <summary>Marks a retransmission (from <see cref="TryPeekLost"/>) as sent again.</summary>
    public void OnRetransmitted(ulong offset, int length, bool fin)
    {
        _lost.Remove(offset, offset + (ulong)length);
        if (fin)
        {
            FinLost = false;
        }
    }

    /// <summary>
    /// New data from <see cref="SentOffset"/>: at most <paramref name="maxLength"/> bytes, one
    /// contiguous span; FIN is set when the data reaches the end the application wrote. A FIN
    /// with no data is returned when everything else is sent. False when there is nothing.
    /// </summary>
    public bool TryPeekUnsent(int maxLength, out ulong offset, out ReadOnlySpan<byte> data, out bool fin)
    {
        offset = SentOffset;
        int length = (int)Math.Min(WrittenOffset - SentOffset, (ulong)Math.Max(maxLength, 0));
        data = _ring.GetContiguous(offset, length);
        fin = FinWritten && !FinSent && offset + (ulong)data.Length == WrittenOffset;
        return data.Length > 0 || fin;
    }

    /// <summary>Marks new data (from <see cref="TryPeekUnsent"/>) as sent.</summary>
    public void OnSent(int length, bool fin)
    {
        SentOffset += (ulong)length;
        FinSent |= fin;
    }

    /// <summary>Records an acknowledged frame; returns true when <see cref="AckedOffset"/> advanced (space freed).</summary>
    public bool OnAcked(ulong offset, int length, bool fin)
    {
        ulong end = offset + (ulong)length;
        if (fin)
        {
            FinAcked = true;
            FinLost = false;
        }

        if (end <= AckedOffset)
        {
            return false;
        }

        _acked.Add(Math.Max(offset, AckedOffset), end);
        _lost.Remove(offset, end);
        if (_acked[0].Start != AckedOffset)
        {
            return false;
        }

        AckedOffset = _acked[0].End;
        _acked.RemoveBelow(AckedOffset);
        return true;
    }

    /// <summary>Records a lost frame: its bytes not yet acknowledged (and its FIN) are queued for retransmission.</summary>
    public void OnLost(ulong offset, int length, bool fin)
    {
        ulong start = Math.Max(offset, AckedOffset);
        ulong end = offset + (ulong)length;
        if (fin && !FinAcked)
        {
            FinLost = true;
        }

        if (start >= end)
        {
            return;
        }

        // Queue only the gaps between acknowledged ranges.
        for (int i = 0; i < _acked.Count && start < end; i++)
        {
            ByteRange acked = _acked[i];
            if (acked.End <= start)
            {
                continue;
            }

            if (acked.Start >= end)
            {
                break;
            }

            _lost.Add(start, Math.Min(acked.Start, end));
            start = Math.Max(start, acked.End);
        }

        _lost.Add(start, end);
    }

    /// <summary>Forgets everything queued for retransmission (the stream was reset).</summary>
    public void ClearLost()
    {
        _lost.Clear();
        FinLost = false;
    }
}
