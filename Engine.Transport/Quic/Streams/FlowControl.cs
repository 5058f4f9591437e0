namespace Engine.Transport.Quic.Streams;

/// <summary>
/// Credit policy shared by stream and connection receive windows: the advertised limit is kept
/// <c>window</c> bytes ahead of what the application consumed, and a new limit is announced
/// (MAX_STREAM_DATA / MAX_DATA) once at least half a window has been consumed since the last
/// announcement. So the receive buffer never holds more than one window, and updates cost one
/// frame per half window.
/// </summary>
internal static class FlowControl
{
    /// <summary>Raises <paramref name="advertised"/> to consumed + window when that gains at least half a window.</summary>
    public static bool TryRaise(ulong consumed, ulong window, ref ulong advertised)
    {
        ulong target = consumed + window;
        if (target <= advertised || target - advertised < Math.Max(1, window / 2))
        {
            return false;
        }

        advertised = target;
        return true;
    }
}

/// <summary>Connection-level flow control (RFC 9000 §4.1) in both directions.</summary>
internal sealed class ConnectionFlowControl
{
    public ConnectionFlowControl(ulong receiveWindow)
    {
        ReceiveWindow = receiveWindow;
        LocalMaxData = receiveWindow;
    }

    // ---- sending: the peer's limit on us ----

    /// <summary>The peer's MAX_DATA (initial_max_data, then frames).</summary>
    public ulong PeerMaxData { get; set; }

    /// <summary>Sum over our streams of the highest offset sent.</summary>
    public ulong Sent { get; set; }

    /// <summary>Bytes of new stream data we may still send.</summary>
    public ulong SendCredit => PeerMaxData > Sent ? PeerMaxData - Sent : 0;

    /// <summary>The limit at which DATA_BLOCKED was last queued.</summary>
    public ulong DataBlockedReportedAt { get; set; } = ulong.MaxValue;

    // ---- receiving: our limit on the peer ----

    public ulong ReceiveWindow { get; }

    /// <summary>Our MAX_DATA as last advertised.</summary>
    public ulong LocalMaxData { get; private set; }

    /// <summary>Sum over the peer's streams of the highest offset received (or final size after a reset).</summary>
    public ulong Received { get; set; }

    /// <summary>Bytes read by the application or discarded (reset, STOP_SENDING).</summary>
    public ulong Consumed { get; private set; }

    /// <summary>Whether <paramref name="newBytes"/> more received bytes stay within <see cref="LocalMaxData"/>.</summary>
    public bool CanReceive(ulong newBytes) => newBytes <= LocalMaxData - Received;

    /// <summary>Counts consumed bytes; true when a MAX_DATA should be sent with the raised <see cref="LocalMaxData"/>.</summary>
    public bool OnConsumed(ulong count)
    {
        Consumed += count;
        ulong advertised = LocalMaxData;
        bool raised = FlowControl.TryRaise(Consumed, ReceiveWindow, ref advertised);
        LocalMaxData = advertised;
        return raised;
    }
}
