namespace Engine.Transport.Quic.Recovery;

/// <summary>
/// A sender-side congestion controller (RFC 9002 §7). It owns the count of bytes in flight:
/// loss recovery reports every in-flight packet exactly once as sent and then once as acked,
/// lost or discarded. Sans-IO: every time is passed in.
/// </summary>
internal interface ICongestionController
{
    /// <summary>Bytes the sender may have in flight.</summary>
    long CongestionWindow { get; }

    /// <summary>Bytes of sent in-flight packets not yet acknowledged, lost or discarded.</summary>
    long BytesInFlight { get; }

    /// <summary>Whether a packet of <paramref name="bytes"/> fits: bytes_in_flight + bytes &lt;= cwnd.</summary>
    bool CanSend(int bytes);

    void OnPacketSent(TimeSpan now, int bytes);

    void OnPacketAcked(TimeSpan timeSent, int bytes, TimeSpan now);

    /// <summary>
    /// In-flight packets totalling <paramref name="bytesLost"/> were declared lost, the newest of
    /// them sent at <paramref name="largestLostTimeSent"/>. At most one congestion event per
    /// recovery period (RFC 9002 §7.3.2).
    /// </summary>
    void OnPacketsLost(TimeSpan largestLostTimeSent, long bytesLost, TimeSpan now);

    /// <summary>Removes a packet from bytes in flight without a congestion signal (its keys were discarded).</summary>
    void OnPacketDiscarded(int bytes);

    /// <summary>Persistent congestion was established (RFC 9002 §7.6): collapse to the minimum window.</summary>
    void OnPersistentCongestion();
}
