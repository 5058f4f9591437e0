using System.Collections.Concurrent;
using Engine.Cluster;
using Engine.Hosting;
using Engine.Telemetry;
using Engine.Transport.Abstractions;
using Microsoft.Extensions.Logging;

namespace Engine.Sessions.Relay;

/// <summary>
/// Carries clients between instances. A client joins a room on whatever instance it reached (its
/// <em>edge</em>); when another instance owns the room, the edge relays the client's messages to
/// the owner (<c>relay.in.&lt;owner&gt;</c>) and the owner's replies back (<c>relay.out.&lt;edge&gt;</c>),
/// frame by frame (<see cref="RelayFrame"/>). On the owner each relayed client is an ordinary
/// <see cref="ClientConnection"/> over a <see cref="RelayTransportSession"/>, so the room cannot
/// tell it from a local one. Both roles live here: every instance is an edge and an owner.
/// </summary>
internal sealed class RelayServer : IAsyncDisposable
{
    private readonly IClusterBus _bus;
    private readonly IServiceProvider _provider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RelayTransportSession> _owned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, EdgeState> _edges = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private long _nextLink;
    private long _malformed;
    private long _lost;
    private long _moved;
    private EngineServices? _services;

    private readonly IRoomLeases _leases;
    private readonly Task _watching;

    public RelayServer(IClusterBus bus, IRoomLeases leases, IServiceProvider provider, ILoggerFactory loggers)
    {
        _bus = bus;
        _leases = leases;
        _provider = provider;
        _logger = loggers.CreateLogger("Engine.Relay");
        _nextLink = Random.Shared.NextInt64(1, long.MaxValue / 2);
        _subscriptions.Add(bus.Subscribe(OwnerSubject(bus.InstanceId), OnOwnerFrame));
        _subscriptions.Add(bus.Subscribe(EdgeSubject(bus.InstanceId), OnEdgeFrame));
        _watching = leases.LeaseTime == Timeout.InfiniteTimeSpan ? Task.CompletedTask : Task.Run(WatchOwnersAsync);
    }

    /// <summary>Edge links closed because their room's owner changed (it died, or lost its lease).</summary>
    public long MovedLinks => Interlocked.Read(ref _moved);

    /// <summary>
    /// Edge side: every third of a lease time, asks who owns each room this instance relays into.
    /// When the owner changed (the old one died or was cut off and its lease lapsed; this instance
    /// may have just claimed the room), the room's links are closed with 1013: the clients
    /// reconnect, and their join reaches the new owner.
    /// </summary>
    private async Task WatchOwnersAsync()
    {
        TimeSpan period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, _leases.LeaseTime.Ticks / 3));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                foreach (IGrouping<(string Room, string Owner), KeyValuePair<long, EdgeState>> room in _edges.GroupBy(e => (e.Value.Room, e.Value.Owner)))
                {
                    string owner;
                    try
                    {
                        owner = await _leases.AcquireOrFindOwnerAsync(room.Key.Room, _stopping.Token).ConfigureAwait(false);
                    }
                    catch (ClusterUnavailableException)
                    {
                        continue; // NATS is away: ask again next time
                    }

                    if (owner == room.Key.Owner)
                    {
                        continue;
                    }

                    foreach ((long link, EdgeState state) in room)
                    {
                        if (_edges.TryRemove(link, out _))
                        {
                            Interlocked.Increment(ref _moved);
                            _bus.Publish(OwnerSubject(room.Key.Owner), RelayFrame.Detach(link));
                            _ = state.Connection.Transport.CloseAsync(SessionCloseCode.TryAgainLater, "the room moved to another instance; reconnect").AsTask();
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>This instance's id in the cluster.</summary>
    public string InstanceId => _bus.InstanceId;

    /// <summary>Clients relayed to this instance (it owns their room).</summary>
    public int OwnedLinks => _owned.Count;

    /// <summary>Clients of this instance relayed to other instances.</summary>
    public int EdgeLinks => _edges.Count;

    /// <summary>Relay frames that did not parse or named no link.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Edge links closed because a reliable message for the client was lost between instances (the client resumes).</summary>
    public long LostLinks => Interlocked.Read(ref _lost);

    public static string OwnerSubject(string instance) => "relay.in." + instance;

    public static string EdgeSubject(string instance) => "relay.out." + instance;

    private EngineServices Services => _services ??= (EngineServices)_provider.GetService(typeof(EngineServices))!;

    // ---- Edge role -------------------------------------------------------------------------

    /// <summary>Opens a link for <paramref name="connection"/> to <paramref name="owner"/> and tells the owner who the client is.</summary>
    public long Open(ClientConnection connection, string owner, string room, RelayAttach attach)
    {
        long link = Interlocked.Increment(ref _nextLink);
        _edges[link] = new EdgeState(connection, owner, room);
        _bus.Publish(OwnerSubject(owner), RelayFrame.Attach(link, attach));
        return link;
    }

    /// <summary>Forwards one client message to the owner (any thread; the bus copies it).</summary>
    public void Forward(string owner, long link, ReadOnlySpan<byte> message, bool reliable)
    {
        if (!_edges.TryGetValue(link, out EdgeState? state))
        {
            return;
        }

        int length = RelayFrame.HeaderLength + RelayFrame.MessagePrefixLength + message.Length;
        byte[]? rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> frame = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        lock (state.SendGate)
        {
            // Numbered and published under one lock: a datagram must not overtake the reliable message it names.
            RelayFrame.WriteMessage(frame, link, reliable, state.Outbound.Next(reliable), message);
            _bus.Publish(OwnerSubject(owner), frame);
        }

        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Ends a link: the owner sees its relayed connection close (the seat is held for a resume, as for any lost connection).</summary>
    public void Close(string owner, long link)
    {
        if (_edges.TryRemove(link, out _))
        {
            _bus.Publish(OwnerSubject(owner), RelayFrame.Detach(link));
        }
    }

    private void OnEdgeFrame(ClusterMessage message)
    {
        if (!RelayFrame.TryParse(message.Payload.Span, out RelayFrame.Parsed frame) || !_edges.TryGetValue(frame.Link, out EdgeState? state))
        {
            Interlocked.Increment(ref _malformed); // also a frame for a link that just closed: harmless
            return;
        }

        ITransportSession transport = state.Connection.Transport;
        switch (frame.Kind)
        {
            case RelayFrameKind.Message when RelayFrame.TryReadMessage(frame.Body, out bool reliable, out uint sequence, out ReadOnlySpan<byte> body):
                if (!state.Inbound.Accept(reliable, sequence))
                {
                    // A reliable message for the client was lost between the instances: close, so it resumes and is replayed.
                    Interlocked.Increment(ref _lost);
                    Close(state.Owner, frame.Link); // the owner detaches the seat at once (held for the resume)
                    _ = transport.CloseAsync(SessionCloseCode.SlowConsumer, "the relay lost a message; resume").AsTask();
                    break;
                }

                if (reliable)
                {
                    transport.TrySendReliable(body);
                }
                else
                {
                    transport.SendUnreliable(0, body);
                }

                break;
            case RelayFrameKind.Close:
                (ushort code, string reason) = RelayFrame.ReadClose(frame.Body);
                _edges.TryRemove(frame.Link, out _);
                _ = transport.CloseAsync((SessionCloseCode)code, reason).AsTask();
                break;
            default:
                Interlocked.Increment(ref _malformed);
                break;
        }
    }

    /// <summary>An edge link: the client's connection here and the link's numbering both ways.</summary>
    private sealed class EdgeState(ClientConnection connection, string owner, string room)
    {
        public ClientConnection Connection { get; } = connection;

        public string Owner { get; } = owner;

        public string Room { get; } = room;

        public Lock SendGate { get; } = new();

        public RelaySequence Outbound;

        public RelaySequence Inbound;
    }

    // ---- Owner role ------------------------------------------------------------------------

    private void OnOwnerFrame(ClusterMessage message)
    {
        if (message.SenderInstance is not { } edge || !RelayFrame.TryParse(message.Payload.Span, out RelayFrame.Parsed frame))
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        string key = edge + "/" + frame.Link.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (frame.Kind)
        {
            case RelayFrameKind.Attach:
                if (RelayFrame.ReadAttach(frame.Body) is not { } attach)
                {
                    Interlocked.Increment(ref _malformed);
                    return;
                }

                Accept(edge, frame.Link, key, attach);
                break;
            case RelayFrameKind.Message when RelayFrame.TryReadMessage(frame.Body, out bool reliable, out uint sequence, out ReadOnlySpan<byte> body)
                && _owned.TryGetValue(key, out RelayTransportSession? session):
                session.Deliver(body, reliable, sequence);
                break;
            case RelayFrameKind.Detach when _owned.TryGetValue(key, out RelayTransportSession? session):
                session.Detached();
                break;
            default:
                Interlocked.Increment(ref _malformed);
                break;
        }
    }

    private void Accept(string edge, long link, string key, RelayAttach attach)
    {
        var transport = new RelayTransportSession(_bus, edge, link, attach);
        EngineServices services = Services;
        if (!services.TryAcquireConnection())
        {
            _bus.Publish(EdgeSubject(edge), RelayFrame.Close(link, (ushort)SessionCloseCode.TryAgainLater, "the room's instance is at its connection limit"));
            return;
        }

        if (!_owned.TryAdd(key, transport))
        {
            services.ReleaseConnection();
            Interlocked.Increment(ref _malformed); // the same link attached twice
            return;
        }

        var connection = new ClientConnection(transport, services, attach);
        _ = RunOwnedAsync(key, connection);
    }

    private async Task RunOwnedAsync(string key, ClientConnection connection)
    {
        try
        {
            await Task.Yield(); // off the bus thread
            await connection.RunAsync(_stopping.Token);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.ConnectionFailed(_logger, exception, key);
        }
        finally
        {
            _owned.TryRemove(key, out _);
            Services.ReleaseConnection();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _watching.ConfigureAwait(false);
        foreach (IAsyncDisposable subscription in _subscriptions)
        {
            await subscription.DisposeAsync();
        }
    }
}
