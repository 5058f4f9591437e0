using System.Net;

namespace Engine.Transport.Quic;

/// <summary>
/// Which connections to poll, without visiting every connection per call. A connection is
/// <em>active</em> (queued in <see cref="_active"/>) from the moment something may have made it
/// sendable or moved its timer — a datagram for it, an expired timer, an application command
/// (the connection calls <see cref="Activate"/>), creation — until <see cref="PollTransmit"/>
/// gets 0 from it. An inactive connection's earliest timeout sits in the min-heap
/// <see cref="_timers"/>; entries are invalidated lazily (an entry counts only while its deadline
/// equals the connection's <see cref="QuicConnectionCore.ScheduledTimeout"/>), and the heap is
/// rebuilt when stale entries outnumber live ones. Per datagram the cost is O(1) plus O(log n)
/// when a connection goes quiet, whatever the number of idle connections.
/// </summary>
internal sealed partial class QuicEndpoint
{
    private readonly Queue<QuicConnectionCore> _active = new();
    private readonly PriorityQueue<QuicConnectionCore, TimeSpan> _timers = new();
    private readonly List<QuicConnectionCore> _due = [];
    private readonly Queue<QuicConnectionCore> _eventReady = new();

    /// <summary>
    /// When true the endpoint keeps an event-ready list: every connection that has events waiting
    /// (or finished closing) after the endpoint ran it is queued once for <see cref="TryTakeEventReady"/>,
    /// so a host dispatches only connections with something to say instead of visiting them all.
    /// Off for callers that poll connections themselves (tests), so the list cannot grow unread.
    /// </summary>
    public bool TracksEventReadyConnections { get; set; }

    /// <summary>Connections queued for <see cref="TryTakeEventReady"/>.</summary>
    public int EventReadyCount => _eventReady.Count;

    /// <summary>
    /// Takes the next connection with events waiting or that finished closing (it may already be
    /// forgotten by the endpoint; its events and <see cref="QuicConnectionCore.IsClosed"/> stay readable).
    /// </summary>
    public bool TryTakeEventReady(out QuicConnectionCore connection)
    {
        if (_eventReady.TryDequeue(out connection!))
        {
            connection.IsEventReady = false;
            return true;
        }

        return false;
    }

    /// <summary>Connections in the active queue (polled for transmits); the rest wait on their timers.</summary>
    public int ActiveConnectionCount => _active.Count;

    /// <summary>
    /// The next datagram to send from any active connection (round robin) or a stateless reply.
    /// Returns its length and destination, or 0 when nothing is ready.
    /// </summary>
    public int PollTransmit(TimeSpan now, Span<byte> buffer, out IPEndPoint? destination)
    {
        if (_stateless.TryDequeue(out (IPEndPoint Destination, byte[] Datagram) reply))
        {
            destination = reply.Destination;
            reply.Datagram.CopyTo(buffer);
            return reply.Datagram.Length;
        }

        for (int remaining = _active.Count; remaining > 0 && _active.TryDequeue(out QuicConnectionCore? connection); remaining--)
        {
            if (connection.Scheduler != this)
            {
                continue; // removed since it was queued
            }

            int length;
            try
            {
                length = connection.PollTransmit(now, buffer);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                OnInternalError(connection, exception, now);
                _active.Enqueue(connection); // its close is next; polled again on a later call
                RemoveIfClosed(connection);
                continue;
            }

            MarkIfEventReady(connection);
            if (length > 0)
            {
                _active.Enqueue(connection);
                destination = connection.RemoteAddress;
                return length;
            }

            connection.IsActive = false;
            Reschedule(connection);
            RemoveIfClosed(connection);
        }

        destination = null;
        return 0;
    }

    /// <summary>The earliest timeout of any connection; null when none is scheduled.</summary>
    public TimeSpan? PollTimeout()
    {
        foreach (QuicConnectionCore connection in _active)
        {
            Reschedule(connection);
        }

        while (_timers.TryPeek(out QuicConnectionCore? connection, out TimeSpan deadline))
        {
            if (IsLive(connection, deadline))
            {
                return deadline;
            }

            _timers.Dequeue();
        }

        return null;
    }

    /// <summary>Runs expired timers of every connection and forgets connections that finished closing.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        foreach (QuicConnectionCore connection in _active)
        {
            Reschedule(connection);
        }

        // Take every due connection first: a handled connection may still be due (a delayed ACK
        // waits for PollTransmit), and each is handled once per call.
        while (_timers.TryPeek(out QuicConnectionCore? connection, out TimeSpan deadline) && deadline <= now)
        {
            _timers.Dequeue();
            if (IsLive(connection, deadline))
            {
                connection.ScheduledTimeout = null;
                _due.Add(connection);
            }
        }

        foreach (QuicConnectionCore connection in _due)
        {
            bool wasClosing = connection.IsClosing;
            try
            {
                connection.HandleTimeout(now);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                OnInternalError(connection, exception, now);
            }

            LogIfNewlyClosed(connection, wasClosing);
            MarkIfEventReady(connection);
            Activate(connection);
            RemoveIfClosed(connection);
        }

        _due.Clear();
    }

    /// <summary>Queues <paramref name="connection"/> to be polled for transmits and its timer re-read.</summary>
    internal void Activate(QuicConnectionCore connection)
    {
        if (connection.IsActive || connection.Scheduler != this)
        {
            return;
        }

        connection.IsActive = true;
        _active.Enqueue(connection);
    }

    /// <summary>Queues <paramref name="connection"/> on the event-ready list if it has events (or is closed) and is not queued yet.</summary>
    private void MarkIfEventReady(QuicConnectionCore connection)
    {
        if (TracksEventReadyConnections && connection.Scheduler == this && !connection.IsEventReady && (connection.HasPendingEvents || connection.IsClosed))
        {
            connection.IsEventReady = true;
            _eventReady.Enqueue(connection);
        }
    }

    private void Adopt(QuicConnectionCore connection)
    {
        connection.Scheduler = this;
        Activate(connection);
    }

    private bool IsLive(QuicConnectionCore connection, TimeSpan deadline) =>
        connection.Scheduler == this && connection.ScheduledTimeout == deadline;

    /// <summary>Re-reads a connection's timeout and gives it a heap entry if it moved.</summary>
    private void Reschedule(QuicConnectionCore connection)
    {
        TimeSpan? timeout = connection.PollTimeout();
        if (timeout == connection.ScheduledTimeout)
        {
            return;
        }

        connection.ScheduledTimeout = timeout;
        if (timeout is not { } deadline)
        {
            return;
        }

        if (_timers.Count >= (2 * _connections.Count) + 64)
        {
            // Mostly stale entries: keep one per connection.
            _timers.Clear();
            foreach (QuicConnectionCore live in _connections)
            {
                if (live.ScheduledTimeout is { } scheduled && live != connection)
                {
                    _timers.Enqueue(live, scheduled);
                }
            }
        }

        _timers.Enqueue(connection, deadline);
    }
}
