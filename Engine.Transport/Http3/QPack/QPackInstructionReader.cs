namespace Engine.Transport.Http3.QPack;

/// <summary>
/// Feeds a unidirectional QPACK instruction stream through <see cref="TryParseInstruction"/>, carrying a
/// partial instruction across calls. With capacity 0 no accepted instruction is longer than one prefixed
/// integer, so the carry-over buffer is bounded by <see cref="QPackIntegers.MaxLength"/>. Errors are sticky.
/// </summary>
internal abstract class QPackInstructionReader
{
    private readonly byte[] _pending = new byte[QPackIntegers.MaxLength];
    private int _pendingLength;
    private QPackStatus _status = QPackStatus.Success;

    /// <summary>Success, or the connection error the stream has caused (from now on, every call returns it).</summary>
    public QPackStatus Status => _status;

    /// <summary>The error status this stream reports (encoder or decoder stream error).</summary>
    protected abstract QPackStatus StreamError { get; }

    /// <summary>Reads the next chunk of the stream.</summary>
    public QPackStatus Read(ReadOnlySpan<byte> data)
    {
        while (_status == QPackStatus.Success && !data.IsEmpty)
        {
            if (_pendingLength == 0)
            {
                QPackReadStatus parsed = TryParseInstruction(data, out int consumed);
                if (parsed == QPackReadStatus.NeedMoreData)
                {
                    Keep(data);
                    break;
                }

                data = Advance(parsed, data, consumed);
                continue;
            }

            // Complete the carried-over instruction with as much new data as fits.
            int previous = _pendingLength;
            int take = Math.Min(data.Length, _pending.Length - previous);
            data[..take].CopyTo(_pending.AsSpan(previous));
            _pendingLength += take;
            QPackReadStatus result = TryParseInstruction(_pending.AsSpan(0, _pendingLength), out int used);
            if (result == QPackReadStatus.NeedMoreData)
            {
                // Only possible when all of data fit; a full buffer holds a complete or invalid integer.
                _status = _pendingLength == _pending.Length ? StreamError : _status;
                break;
            }

            _pendingLength = 0;
            data = Advance(result, data, used - previous);
        }

        return _status;
    }

    /// <summary>Parses one instruction at the start of <paramref name="input"/>; Invalid is a stream error.</summary>
    protected abstract QPackReadStatus TryParseInstruction(ReadOnlySpan<byte> input, out int consumed);

    private ReadOnlySpan<byte> Advance(QPackReadStatus parsed, ReadOnlySpan<byte> data, int consumed)
    {
        if (parsed != QPackReadStatus.Success)
        {
            _status = StreamError;
            return default;
        }

        return data[consumed..];
    }

    private void Keep(ReadOnlySpan<byte> partial)
    {
        if (partial.Length > _pending.Length)
        {
            _status = StreamError; // cannot happen with the integer rules, but never overrun the buffer
            return;
        }

        partial.CopyTo(_pending);
        _pendingLength = partial.Length;
    }
}
