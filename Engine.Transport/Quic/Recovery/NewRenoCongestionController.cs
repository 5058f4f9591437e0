namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// NewReno as specified by RFC 9002 §7 and Appendix B: slow start, a recovery period that
/// allows one window reduction per round trip, congestion avoidance growing one maximum
/// datagram per window acknowledged, and a collapse to the minimum window on persistent
/// congestion. No pacing and no application-limited detection.
/// </summary>
internal sealed class NewRenoCongestionController : ICongestionController
{
    private const int LossReductionDivisor = 2;

    private readonly int _maxDatagramSize;
    private long _slowStartThreshold = long.MaxValue;
    private TimeSpan? _recoveryStartTime;

    // Congestion avoidance: bytes acknowledged since the window last grew by one datagram.
    private long _bytesAckedInAvoidance;

    public NewRenoCongestionController(int maxDatagramSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, 1200);
        _maxDatagramSize = maxDatagramSize;
        MinimumWindow = 2L * maxDatagramSize;
        InitialWindow = Math.Min(10L * maxDatagramSize, Math.Max(14720L, 2L * maxDatagramSize));
        CongestionWindow = InitialWindow;
    }

    /// <summary>min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)) (RFC 9002 §7.2).</summary>
    public long InitialWindow { get; }

    /// <summary>2 * max_datagram_size (RFC 9002 §7.2).</summary>
    public long MinimumWindow { get; }

    public long CongestionWindow { get; private set; }

    public long BytesInFlight { get; private set; }

    /// <summary>Infinite (<see cref="long.MaxValue"/>) until the first congestion event.</summary>
    public long SlowStartThreshold => _slowStartThreshold;

    /// <summary>Whether acknowledgments of packets sent at <paramref name="timeSent"/> fall in the recovery period.</summary>
    public bool InRecovery(TimeSpan timeSent) => _recoveryStartTime is { } start && timeSent <= start;

    public bool CanSend(int bytes) => BytesInFlight + bytes <= CongestionWindow;

    public void OnPacketSent(TimeSpan now, int bytes) => BytesInFlight += bytes;

    public void OnPacketAcked(TimeSpan timeSent, int bytes, TimeSpan now)
    {
        RemoveFromFlight(bytes);

        // No growth for packets sent before recovery started (RFC 9002 §7.3.2).
        if (InRecovery(timeSent))
        {
            return;
        }

        if (CongestionWindow < _slowStartThreshold)
        {
            CongestionWindow += bytes;
            return;
        }

        // One maximum datagram per congestion window acknowledged (RFC 9002 §7.3.3).
        _bytesAckedInAvoidance += bytes;
        if (_bytesAckedInAvoidance >= CongestionWindow)
        {
            _bytesAckedInAvoidance -= CongestionWindow;
            CongestionWindow += _maxDatagramSize;
        }
    }

    public void OnPacketsLost(TimeSpan largestLostTimeSent, long bytesLost, TimeSpan now)
    {
        RemoveFromFlight(bytesLost);

        // A loss of a packet sent before the current recovery period began is not a new event.
        if (InRecovery(largestLostTimeSent))
        {
            return;
        }

        _recoveryStartTime = now;
        _slowStartThreshold = CongestionWindow / LossReductionDivisor;
        CongestionWindow = Math.Max(_slowStartThreshold, MinimumWindow);
        _bytesAckedInAvoidance = 0;
    }

    public void OnPacketDiscarded(int bytes) => RemoveFromFlight(bytes);

    public void OnPersistentCongestion()
    {
        CongestionWindow = MinimumWindow;
        _recoveryStartTime = null;
        _bytesAckedInAvoidance = 0;
    }

    private void RemoveFromFlight(long bytes) => BytesInFlight = Math.Max(0, BytesInFlight - bytes);
}
