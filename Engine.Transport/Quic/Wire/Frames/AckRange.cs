using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>An inclusive range of acknowledged packet numbers.</summary>
internal readonly record struct AckRange(ulong Smallest, ulong Largest)
{
    public ulong Count => Largest - Smallest + 1;
}

/// <summary>ECN counts of an ACK frame of type 0x03 (RFC 9000 §19.3.2).</summary>
internal readonly record struct EcnCounts(ulong Ect0, ulong Ect1, ulong EcnCe)
{
    public int GetLength() => VarInt.GetLength(Ect0) + VarInt.GetLength(Ect1) + VarInt.GetLength(EcnCe);
}

/// <summary>
/// Walks an ACK frame's ranges from the largest down without allocating. The frame was
/// validated when read, so every range decodes.
/// </summary>
internal ref struct AckRangeEnumerator
{
    private SpanReader _gapsAndLengths;
    private readonly ulong _largestAcknowledged;
    private readonly ulong _firstAckRange;
    private ulong _rangesLeft;
    private bool _started;

    public AckRangeEnumerator(ulong largestAcknowledged, ulong firstAckRange, ulong additionalRangeCount, ReadOnlySpan<byte> encodedRanges)
    {
        _largestAcknowledged = largestAcknowledged;
        _firstAckRange = firstAckRange;
        _rangesLeft = additionalRangeCount;
        _gapsAndLengths = new SpanReader(encodedRanges);
        _started = false;
        Current = default;
    }

    public AckRange Current { get; private set; }

    public readonly AckRangeEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (!_started)
        {
            _started = true;
            Current = new AckRange(_largestAcknowledged - _firstAckRange, _largestAcknowledged);
            return true;
        }

        if (_rangesLeft == 0
            || !_gapsAndLengths.TryReadVarint(out ulong gap)
            || !_gapsAndLengths.TryReadVarint(out ulong length))
        {
            return false;
        }

        _rangesLeft--;
        ulong largest = Current.Smallest - gap - 2;
        Current = new AckRange(largest - length, largest);
        return true;
    }
}
