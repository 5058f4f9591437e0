namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    /// <summary>
    /// The endpoint that schedules this connection, told whenever an application command may have
    /// made something sendable (see <see cref="QuicEndpoint"/>'s active queue); null for a
    /// connection driven on its own, as in tests.
    /// </summary>
    internal QuicEndpoint? Scheduler { get; set; }

    /// <summary>Endpoint bookkeeping: whether the connection sits in the endpoint's active queue.</summary>
    internal bool IsActive { get; set; }

    /// <summary>Endpoint bookkeeping: the deadline of the connection's live entry in the endpoint's timer heap.</summary>
    internal TimeSpan? ScheduledTimeout { get; set; }

    /// <summary>Endpoint bookkeeping: whether the connection sits in the endpoint's event-ready list.</summary>
    internal bool IsEventReady { get; set; }

    /// <summary>
    /// Whether events wait in <see cref="TryPollEvent"/> (one may still turn out stale when taken:
    /// a coalesced stream event whose stream moved on).
    /// </summary>
    public bool HasPendingEvents => _events.Count > 0 || _streams.HasPendingEvents;

    /// <summary>
    /// The object of the layer above that consumes this connection's events (an HTTP/3 connection,
    /// a public API connection). The core never looks at it; a host uses it to dispatch the
    /// endpoint's event-ready list without a lookup.
    /// </summary>
    public object? Owner { get; set; }

    /// <summary>Tells the scheduling endpoint that the connection may have something to send or a new timer.</summary>
    private void Touch()
    {
        if (!IsActive)
        {
            Scheduler?.Activate(this);
        }
    }
}
