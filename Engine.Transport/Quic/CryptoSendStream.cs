using Engine.Transport.Quic.Streams;

namespace Engine.Transport.Quic;

/// <summary>
/// One packet space's outgoing crypto stream: the TLS bytes to carry in CRYPTO frames. Keeps
/// everything written (a handshake flight is a few KB, bounded by <see cref="Capacity"/>) so
/// lost ranges can be sent again; tracks what was acknowledged so a probe resends only what the
/// peer lacks. Not thread-safe.
/// </summary>
internal sealed class CryptoSendStream
{
    /// <summary>Most bytes one space's crypto stream may carry; TLS producing more is an internal error.</summary>
    public const int Capacity = 64 * 1024;

    private readonly ByteRangeSet _acked = new();
    private readonly ByteRangeSet _toResend = new();
    private byte[] _data = new byte[2048];
    private int _length;
    private int _sentEnd;

    /// <summary>Bytes written by TLS so far.</summary>
    public int Length => _length;

    public bool HasDataToSend => !_toResend.IsEmpty || _sentEnd < _length;

    /// <summary>Appends TLS output. Returns false (and keeps nothing) past <see cref="Capacity"/>.</summary>
    public bool TryAppend(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > Capacity)
        {
            return false;
        }

        if (_length + data.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Min(Capacity, Math.Max(_data.Length * 2, _length + data.Length)));
        }

        data.CopyTo(_data.AsSpan(_length));
        _length += data.Length;
        return true;
    }

    /// <summary>
    /// The next chunk to send, at most <paramref name="maxLength"/> bytes: ranges to resend first,
    /// then new bytes. The chunk counts as sent once returned.
    /// </summary>
    public bool TryTakeChunk(int maxLength, out ulong offset, out ReadOnlySpan<byte> data)
    {
        offset = 0;
        data = default;
        if (maxLength <= 0)
        {
            return false;
        }

        if (!_toResend.IsEmpty)
        {
            ByteRange first = _toResend[0];
            ulong end = Math.Min(first.End, first.Start + (ulong)maxLength);
            _toResend.Remove(first.Start, end);
            offset = first.Start;
            data = _data.AsSpan((int)first.Start, (int)(end - first.Start));
            return true;
        }

        if (_sentEnd >= _length)
        {
            return false;
        }

        int count = Math.Min(maxLength, _length - _sentEnd);
        offset = (ulong)_sentEnd;
        data = _data.AsSpan(_sentEnd, count);
        _sentEnd += count;
        return true;
    }

    public void OnAcked(ulong offset, int length)
    {
        _acked.Add(offset, offset + (ulong)length);
        _toResend.Remove(offset, offset + (ulong)length);
    }

    /// <summary>A packet carrying this range was lost: resend whatever of it is still unacknowledged.</summary>
    public void OnLost(ulong offset, int length) => AddUnacked(offset, offset + (ulong)length);

    /// <summary>For a probe: queue every sent but unacknowledged byte again (RFC 9002 §6.2.4).</summary>
    public void RequeueUnacknowledged() => AddUnacked(0, (ulong)_sentEnd);

    private void AddUnacked(ulong start, ulong end)
    {
        ulong cursor = start;
        for (int i = 0; i < _acked.Count; i++)
        {
            (ulong ackStart, ulong ackEnd) = _acked[i];
            if (ackEnd <= cursor)
            {
                continue;
            }

            if (ackStart >= end)
            {
                break;
            }

            if (ackStart > cursor)
            {
                _toResend.Add(cursor, ackStart);
            }

            cursor = Math.Max(cursor, ackEnd);
        }

        if (cursor < end)
        {
            _toResend.Add(cursor, end);
        }
    }
}
