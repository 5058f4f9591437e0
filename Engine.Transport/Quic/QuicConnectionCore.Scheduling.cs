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

    /// <summary>Tells the scheduling endpoint that the connection may have something to send or a new timer.</summary>
    private void Touch()
    {
        if (!IsActive)
        {
            Scheduler?.Activate(this);
        }
    }
}
