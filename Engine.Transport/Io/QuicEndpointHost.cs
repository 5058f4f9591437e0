using System.Net;
using Engine.Transport.Abstractions;
using Engine.Transport.Quic;

namespace Engine.Transport.Io;

/// <summary>
/// The one place a sans-IO <see cref="QuicEndpoint"/> meets a socket and the layers above it:
/// a <see cref="UdpEndpointDriver"/> runs the endpoint, and after every loop turn and every
/// <see cref="Invoke{T}"/> the host hands new connections to <see cref="Accept"/> and dispatches
/// the endpoint's event-ready list to each connection's <see cref="IQuicConnectionOwner"/>.
/// Only connections that have events waiting (or just finished closing) are visited, so the cost
/// of a turn does not grow with the number of idle connections. The public QUIC API
/// (<c>Net/</c>) and <see cref="Http3Server"/> both run on it.
/// </summary>
internal sealed class QuicEndpointHost : IDisposable
{
    private readonly ConnectionEventDispatcher _dispatcher = new();

    /// <summary>Binds <paramref name="localEndPoint"/> and starts the driver; the host owns <paramref name="endpoint"/>.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address could not be bound.</exception>
    public QuicEndpointHost(QuicEndpoint endpoint, IPEndPoint localEndPoint, bool segmentationOffload = true)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.TracksEventReadyConnections = true;
        Driver = new UdpEndpointDriver(endpoint, localEndPoint, segmentationOffload)
        {
            AfterIteration = _dispatcher.Dispatch,
        };
        SendGroup = new DriverSendGroup(this);
    }

    public UdpEndpointDriver Driver { get; }

    /// <summary>Batches the unreliable sends of every session on this socket into one visit to the driver.</summary>
    public UnreliableSendGroup SendGroup { get; }

    public QuicEndpoint Endpoint => Driver.Endpoint;

    /// <summary>
    /// Driver thread: called for each connection a client opened (still handshaking). Returns the
    /// owner that will receive its events, or null to refuse it (closed with application code 0).
    /// </summary>
    public Func<QuicConnectionCore, TimeSpan, IQuicConnectionOwner?>? Accept
    {
        get => _dispatcher.Accept;
        set => _dispatcher.Accept = value;
    }

    /// <summary>Connections dispatched to their owners so far (a diagnostic).</summary>
    public long Dispatches => _dispatcher.Dispatches;

    /// <summary>Runs <paramref name="action"/> under the driver's lock, then dispatches events and sends what became sendable.</summary>
    public T Invoke<T>(Func<TimeSpan, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Driver.Invoke((_, now) => action(now));
    }

    /// <summary><see cref="Invoke{T}"/> with the state passed through rather than captured (a span may be the state).</summary>
    public TResult Invoke<TState, TResult>(TState state, Func<TimeSpan, TState, TResult> action)
        where TState : allows ref struct => Driver.Invoke(state, action);

    /// <summary>Gives <paramref name="connection"/> an owner and lets it see the events already queued (driver thread or under <see cref="Invoke{T}"/>).</summary>
    public void Attach(QuicConnectionCore connection, IQuicConnectionOwner owner, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Scheduler != Endpoint)
        {
            throw new ArgumentException("The connection does not belong to this host's endpoint.", nameof(connection));
        }

        ConnectionEventDispatcher.Attach(connection, owner, now);
    }

    /// <summary>Closes every connection on this socket with application code 0 and lets the owners see it (before the socket goes away).</summary>
    public void CloseAll(string reason) =>
        Invoke(now =>
        {
            foreach (QuicConnectionCore connection in Endpoint.Connections)
            {
                if (!connection.IsClosing)
                {
                    connection.Close(0, reason, now);
                }
            }

            return 0;
        });

    public void Dispose() => Driver.Dispose();
}

/// <summary>
/// The host's turn after the driver's: hands new connections to <see cref="Accept"/> and each
/// connection on the endpoint's event-ready list to its owner. Socket-free, so the bench can run
/// it on an in-memory endpoint.
/// </summary>
internal sealed class ConnectionEventDispatcher
{
    private bool _dispatching;

    /// <summary>Returns the owner for a connection a client opened, or null to refuse it (closed with application code 0).</summary>
    public Func<QuicConnectionCore, TimeSpan, IQuicConnectionOwner?>? Accept { get; set; }

    /// <summary>Owners called so far.</summary>
    public long Dispatches { get; private set; }

    /// <summary>Exceptions thrown by owners (bugs); each closed its connection with INTERNAL_ERROR.</summary>
    public long OwnerErrors { get; private set; }

    /// <summary>Gives <paramref name="connection"/> its owner and lets the owner see the events already queued.</summary>
    public static void Attach(QuicConnectionCore connection, IQuicConnectionOwner owner, TimeSpan now)
    {
        connection.Owner = owner ?? throw new ArgumentNullException(nameof(owner));
        owner.OnConnectionEvents(now);
    }

    /// <summary>Runs under the driver's lock. Visits only accepted and event-ready connections.</summary>
    public void Dispatch(QuicEndpoint endpoint, TimeSpan now)
    {
        if (_dispatching)
        {
            return; // an owner called Invoke while handling events: the outer loop carries on with the list
        }

        _dispatching = true;
        try
        {
            while (endpoint.TryAccept(out QuicConnectionCore accepted))
            {
                if (Accept?.Invoke(accepted, now) is { } owner)
                {
                    Attach(accepted, owner, now);
                }
                else
                {
                    accepted.Close(0, "not accepting connections", now);
                }
            }

            while (endpoint.TryTakeEventReady(out QuicConnectionCore connection))
            {
                if (connection.Owner is IQuicConnectionOwner owner)
                {
                    Dispatches++;
                    try
                    {
                        owner.OnConnectionEvents(now);
                    }
                    catch (Exception exception) when (exception is not OutOfMemoryException)
                    {
                        // A bug in one owner costs its connection (INTERNAL_ERROR), never the driver or the others.
                        OwnerErrors++;
                        connection.AbortWithInternalError(exception, now);
                    }
                }
            }
        }
        finally
        {
            _dispatching = false;
        }
    }
}

/// <summary>
/// What consumes one connection's events on the driver's thread: called when the connection has
/// events waiting in <see cref="QuicConnectionCore.TryPollEvent"/> or has just finished closing
/// (<see cref="QuicConnectionCore.IsClosed"/>). Implementations drain the events and never throw.
/// </summary>
internal interface IQuicConnectionOwner
{
    void OnConnectionEvents(TimeSpan now);
}
