namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// Round-trip time estimation (RFC 9002 §5): min_rtt over the connection's lifetime, and an
/// exponentially weighted smoothed_rtt and rttvar fed with samples adjusted for the peer's
/// reported acknowledgment delay.
/// </summary>
internal sealed class RecoveryRttEstimator
{
    /// <summary>kInitialRtt (RFC 9002 §6.2.2).</summary>
    public static readonly TimeSpan InitialRtt = TimeSpan.FromMilliseconds(333);

    /// <summary>Most recent sample, unadjusted; zero before the first.</summary>
    public TimeSpan LatestRtt { get; private set; }

    public TimeSpan SmoothedRtt { get; private set; } = InitialRtt;

    public TimeSpan RttVariation { get; private set; } = InitialRtt / 2;

    /// <summary>Minimum sample seen, without ack-delay adjustment; zero before the first.</summary>
    public TimeSpan MinRtt { get; private set; }

    public bool HasSample { get; private set; }

    /// <summary>
    /// Takes one sample. <paramref name="ackDelay"/> is the peer's decoded ACK Delay (zero to ignore
    /// it); once <paramref name="handshakeConfirmed"/> it is capped by <paramref name="maxAckDelay"/>.
    /// It is subtracted only when that leaves the sample at or above min_rtt (RFC 9002 §5.3).
    /// </summary>
    public void Update(TimeSpan latestRtt, TimeSpan ackDelay, bool handshakeConfirmed, TimeSpan maxAckDelay)
    {
        if (latestRtt < TimeSpan.Zero)
        {
            latestRtt = TimeSpan.Zero;
        }

        LatestRtt = latestRtt;
        if (!HasSample)
        {
            HasSample = true;
            MinRtt = latestRtt;
            SmoothedRtt = latestRtt;
            RttVariation = latestRtt / 2;
            return;
        }

        if (latestRtt < MinRtt)
        {
            MinRtt = latestRtt;
        }

        if (ackDelay < TimeSpan.Zero)
        {
            ackDelay = TimeSpan.Zero;
        }

        if (handshakeConfirmed && ackDelay > maxAckDelay)
        {
            ackDelay = maxAckDelay;
        }

        // latest_rtt >= min_rtt + ack_delay, written so a huge ack delay cannot overflow.
        TimeSpan adjustedRtt = latestRtt - MinRtt >= ackDelay ? latestRtt - ackDelay : latestRtt;
        TimeSpan deviation = (SmoothedRtt - adjustedRtt).Duration();
        RttVariation = TimeSpan.FromTicks(((3 * RttVariation.Ticks) + deviation.Ticks) / 4);
        SmoothedRtt = TimeSpan.FromTicks(((7 * SmoothedRtt.Ticks) + adjustedRtt.Ticks) / 8);
    }
}
