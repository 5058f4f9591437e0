using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// Received packet numbers of one packet-number space and when to acknowledge them
/// (RFC 9000 §13.2). Ranges are kept ascending in a fixed array; past the cap the lowest range
/// is dropped, and everything below the lowest number still known is then treated as a
/// duplicate (RFC 9000 §13.2.3's "minimum packet number"). Nothing is allocated after
/// construction.
/// </summary>
internal sealed class ReceivedPacketTracker
{
    private readonly int _maxRanges;

    // Ascending, non-adjacent, inclusive; one spare slot for an insert before trimming.
    private readonly PacketRange[] _ranges;
    private readonly AckRange[] _descending;
    private int _rangeCount;

    // Packet numbers below this are no longer tracked and count as duplicates.
    private long _floor;
    private TimeSpan _largestReceivedTime;
    private int _ackElicitingSinceAck;
    private TimeSpan? _firstUnacknowledgedTime;
    private bool _immediateAck;

    public ReceivedPacketTracker(int maxRanges = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRanges, 1);
        _maxRanges = maxRanges;
        _ranges = new PacketRange[maxRanges + 1];
        _descending = new AckRange[maxRanges];
    }

    /// <summary>Every ack-eliciting packet is acknowledged immediately (Initial and Handshake, RFC 9000 §13.2.1).</summary>
    public bool SpaceUsesImmediateAck { get; init; }

    /// <summary>Largest packet number received; -1 before any (the base for packet-number decoding).</summary>
    public long LargestReceived { get; private set; } = -1;

    /// <summary>Whether there is anything to acknowledge (an ACK may be bundled opportunistically).</summary>
    public bool HasRanges => _rangeCount > 0;

    /// <summary>Number of ranges currently tracked.</summary>
    public int RangeCount => _rangeCount;

    /// <summary>The largest acknowledged in the last ACK written; -1 before any.</summary>
    public long LargestAcknowledgedInLastAck { get; private set; } = -1;

    /// <summary>Tracked range <paramref name="index"/>, lowest first (diagnostics and tests).</summary>
    public (long Smallest, long Largest) GetRange(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_rangeCount, nameof(index));
        return (_ranges[index].Smallest, _ranges[index].Largest);
    }

    /// <summary>Already received, or too old to tell (below the lowest number still tracked).</summary>
    public bool IsDuplicate(long packetNumber)
    {
        if (packetNumber < _floor)
        {
            return true;
        }

        for (int i = _rangeCount - 1; i >= 0; i--)
        {
            if (packetNumber > _ranges[i].Largest)
            {
                return false;
            }

            if (packetNumber >= _ranges[i].Smallest)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Records a packet that was processed. An ACK becomes due immediately for an ack-eliciting
    /// packet in an immediate-ack space, for every second ack-eliciting packet, and for an
    /// ack-eliciting packet that arrives out of order (a gap below it, or filling a gap);
    /// otherwise within max_ack_delay of the first unacknowledged ack-eliciting packet.
    /// Duplicates are ignored.
    /// </summary>
    public void OnPacketReceived(long packetNumber, bool ackEliciting, TimeSpan now)
    {
        if (packetNumber < 0 || IsDuplicate(packetNumber))
        {
            return;
        }

        bool outOfOrder = LargestReceived >= 0 && packetNumber != LargestReceived + 1;
        if (packetNumber > LargestReceived)
        {
            LargestReceived = packetNumber;
            _largestReceivedTime = now;
        }

        Insert(packetNumber);
        if (!ackEliciting)
        {
            return;
        }

        _firstUnacknowledgedTime ??= now;
        _ackElicitingSinceAck++;
        if (SpaceUsesImmediateAck || outOfOrder || _ackElicitingSinceAck >= 2)
        {
            _immediateAck = true;
        }
    }

    /// <summary>Whether an ACK must be sent now.</summary>
    public bool AckDue(TimeSpan now, TimeSpan maxAckDelay) =>
        AckDeadline(maxAckDelay) is { } deadline && now >= deadline;

    /// <summary>When an ACK must go out; null when no ack-eliciting packet awaits one.</summary>
    public TimeSpan? AckDeadline(TimeSpan maxAckDelay)
    {
        if (_firstUnacknowledgedTime is not { } first)
        {
            return null;
        }

        return _immediateAck ? first : first + maxAckDelay;
    }

    public int GetAckFrameLength(TimeSpan now, int ackDelayExponent)
    {
        ReadOnlySpan<AckRange> ranges = FillDescending();
        return AckFrame.GetLength(ranges, EncodeAckDelay(now, ackDelayExponent), null);
    }

    /// <summary>
    /// Writes an ACK frame of every tracked range with ack delay = now - arrival of the largest,
    /// in units of 2^<paramref name="ackDelayExponent"/> µs, and clears the pending state.
    /// Requires <see cref="HasRanges"/>.
    /// </summary>
    public void WriteAckFrame(ref SpanWriter writer, TimeSpan now, int ackDelayExponent)
    {
        ReadOnlySpan<AckRange> ranges = FillDescending();
        AckFrame.Write(ref writer, ranges, EncodeAckDelay(now, ackDelayExponent), null);
        LargestAcknowledgedInLastAck = _ranges[_rangeCount - 1].Largest;
        _ackElicitingSinceAck = 0;
        _firstUnacknowledgedTime = null;
        _immediateAck = false;
    }

    /// <summary>
    /// An ACK frame whose largest was <paramref name="largestAcknowledged"/> was itself acknowledged:
    /// stop reporting packet numbers at or below it (RFC 9000 §13.2.4). The largest received is
    /// always kept, so ranges never become empty.
    /// </summary>
    public void OnAckAcknowledged(long largestAcknowledged)
    {
        if (_rangeCount == 0 || largestAcknowledged < _floor)
        {
            return;
        }

        int removed = 0;
        while (removed < _rangeCount - 1 && _ranges[removed].Largest <= largestAcknowledged)
        {
            removed++;
        }

        RemoveLowest(removed);
        ref PacketRange lowest = ref _ranges[0];
        if (lowest.Smallest <= largestAcknowledged)
        {
            lowest.Smallest = Math.Min(largestAcknowledged + 1, lowest.Largest);
        }

        _floor = Math.Max(_floor, Math.Min(largestAcknowledged + 1, lowest.Smallest));
    }

    private void Insert(long packetNumber)
    {
        // Index of the last range starting at or below the packet (-1 if none); most arrivals
        // are at the top, so search from there.
        int i = _rangeCount - 1;
        while (i >= 0 && _ranges[i].Smallest > packetNumber)
        {
            i--;
        }

        bool extendsBelow = i >= 0 && _ranges[i].Largest + 1 == packetNumber;
        bool extendsAbove = i + 1 < _rangeCount && _ranges[i + 1].Smallest == packetNumber + 1;
        if (extendsBelow && extendsAbove)
        {
            _ranges[i].Largest = _ranges[i + 1].Largest;
            Array.Copy(_ranges, i + 2, _ranges, i + 1, _rangeCount - i - 2);
            _rangeCount--;
        }
        else if (extendsBelow)
        {
            _ranges[i].Largest = packetNumber;
        }
        else if (extendsAbove)
        {
            _ranges[i + 1].Smallest = packetNumber;
        }
        else
        {
            Array.Copy(_ranges, i + 1, _ranges, i + 2, _rangeCount - i - 1);
            _ranges[i + 1] = new PacketRange { Smallest = packetNumber, Largest = packetNumber };
            _rangeCount++;
            if (_rangeCount > _maxRanges)
            {
                _floor = Math.Max(_floor, _ranges[0].Largest + 1);
                RemoveLowest(1);
            }
        }
    }

    private void RemoveLowest(int count)
    {
        if (count == 0)
        {
            return;
        }

        Array.Copy(_ranges, count, _ranges, 0, _rangeCount - count);
        _rangeCount -= count;
    }

    private ReadOnlySpan<AckRange> FillDescending()
    {
        if (_rangeCount == 0)
        {
            throw new InvalidOperationException("No packets to acknowledge.");
        }

        for (int i = 0; i < _rangeCount; i++)
        {
            PacketRange range = _ranges[_rangeCount - 1 - i];
            _descending[i] = new AckRange((ulong)range.Smallest, (ulong)range.Largest);
        }

        return _descending.AsSpan(0, _rangeCount);
    }

    private ulong EncodeAckDelay(TimeSpan now, int ackDelayExponent)
    {
        long microseconds = (now - _largestReceivedTime).Ticks / TimeSpan.TicksPerMicrosecond;
        return microseconds <= 0 ? 0 : Math.Min((ulong)microseconds >> Math.Clamp(ackDelayExponent, 0, 20), VarInt.MaxValue);
    }

    private struct PacketRange
    {
        public long Smallest;
        public long Largest;
    }
}
