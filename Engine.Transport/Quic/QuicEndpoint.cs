using System.Net;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Transport.Quic;

/// <summary>
/// Routes datagrams to connections by destination connection ID and creates server connections
/// for valid client Initials (sans-IO, like the connections it holds). Unknown versions get a
/// Version Negotiation packet; anything else it cannot place is dropped and counted. Bounded:
/// at most <see cref="QuicEndpointOptions.MaxConnections"/> connections, a bounded accept queue
/// and a bounded queue of stateless packets. Not thread-safe: one driver owns it.
/// </summary>
internal sealed partial class QuicEndpoint : IDisposable
{
    private QuicEndpointOptions _options;
    private readonly Dictionary<ConnectionIdKey, QuicConnectionCore> _routes = [];
    private readonly List<QuicConnectionCore> _connections = [];
    private readonly Queue<QuicConnectionCore> _accepted = new();
    private readonly Queue<(IPEndPoint Destination, byte[] Datagram)> _stateless = new();
    private readonly ILogger _logger;

    public QuicEndpoint(QuicEndpointOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    public int ConnectionCount => _connections.Count;

    public IReadOnlyList<QuicConnectionCore> Connections => _connections;

    /// <summary>Datagrams that reached no connection (unknown ID, malformed, or refused).</summary>
    public long DatagramsDropped { get; private set; }

    public long VersionNegotiationsSent { get; private set; }

    /// <summary>
    /// Exceptions from our own code while a connection handled input (bugs, never expected): the
    /// connection is closed with INTERNAL_ERROR and the endpoint carries on. Tests assert zero.
    /// </summary>
    public long InternalErrors { get; private set; }

    /// <summary>The last exception counted in <see cref="InternalErrors"/>, for the log.</summary>
    public Exception? LastInternalError { get; private set; }

    /// <summary>Client Initials refused because the endpoint was at its connection or accept-queue limit.</summary>
    public long ConnectionsRefused { get; private set; }

    /// <summary>
    /// Replaces the server settings for connections created from now on (for example a renewed
    /// certificate); existing connections keep theirs. The connection-ID length cannot change.
    /// </summary>
    public void UpdateServerOptions(QuicServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        QuicEndpointOptions updated = _options with { Server = server };
        updated.Validate();
        _options = updated;
    }

    /// <summary>Starts a client connection to <paramref name="remote"/>; its first flight is ready from <see cref="PollTransmit"/>.</summary>
    public QuicConnectionCore Connect(QuicClientOptions options, IPEndPoint remote, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Transport.ConnectionIdLength != _options.ConnectionIdLength)
        {
            options = options with { Transport = options.Transport with { ConnectionIdLength = _options.ConnectionIdLength } };
        }

        if (_options.ConnectionIdLength == 0 && _connections.Count > 0)
        {
            throw new InvalidOperationException("An endpoint with zero-length connection IDs holds one connection; use another endpoint (socket).");
        }

        QuicConnectionCore connection = QuicConnectionCore.CreateClient(options, remote, now);
        _connections.Add(connection);
        _routes[ConnectionIdKey.From(connection.LocalConnectionId)] = connection;
        Adopt(connection);
        return connection;
    }

    /// <summary>Takes the next server connection created for a client; it may still be handshaking.</summary>
    public bool TryAccept(out QuicConnectionCore connection) => _accepted.TryDequeue(out connection!);

    /// <summary>Processes one received datagram. Never throws for peer bytes.</summary>
    public void HandleDatagram(IPEndPoint remote, ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        QuicHeaderStatus status = QuicPacketHeaderParser.TryParse(datagram, _options.ConnectionIdLength, out QuicPacketHeader header);
        if (status == QuicHeaderStatus.UnsupportedVersion)
        {
            SendVersionNegotiation(remote, header, datagram.Length);
            return;
        }

        if (status != QuicHeaderStatus.Valid)
        {
            DatagramsDropped++;
            return;
        }

        if (_routes.TryGetValue(ConnectionIdKey.From(header.DestinationConnectionId), out QuicConnectionCore? connection))
        {
            Guarded(connection, datagram, now);
            Activate(connection);
            RemoveIfClosed(connection);
            return;
        }

        if (_options.Server is null || header.Type != QuicPacketType.Initial)
        {
            DatagramsDropped++;
            return;
        }

        // RFC 9000 §14.1 and §7.2: a client's first Initial fills at least 1200 bytes and names a destination ID of at least 8 bytes.
        if (datagram.Length < QuicConnectionCore.MinInitialDatagramSize || header.DestinationConnectionId.Length < 8)
        {
            DatagramsDropped++;
            return;
        }

        if (_connections.Count >= _options.MaxConnections || _accepted.Count >= _options.AcceptQueueCapacity)
        {
            ConnectionsRefused++;
            DatagramsDropped++;
            return;
        }

        connection = QuicConnectionCore.CreateServer(_options.Server, remote, header.DestinationConnectionId, header.SourceConnectionId, null, now);
        _connections.Add(connection);
        _routes[ConnectionIdKey.From(connection.LocalConnectionId)] = connection;
        _routes[ConnectionIdKey.From(connection.OriginalDestinationConnectionId)] = connection;
        Guarded(connection, datagram, now);
        if (connection.Statistics.PacketsReceived == 0 || connection.IsClosed)
        {
            // Nothing authenticated: keep no state for it (a flood of junk Initials costs us no memory).
            DatagramsDropped++;
            _routes.Remove(ConnectionIdKey.From(connection.LocalConnectionId));
            _routes.Remove(ConnectionIdKey.From(connection.OriginalDestinationConnectionId));
            _connections.Remove(connection);
            connection.Dispose();
            return;
        }

        Adopt(connection);
        _accepted.Enqueue(connection);
    }

    public void Dispose()
    {
        foreach (QuicConnectionCore connection in _connections)
        {
            connection.Dispose();
        }

        _connections.Clear();
        _routes.Clear();
        _active.Clear();
        _timers.Clear();
        _eventReady.Clear();
    }

    private void Guarded(QuicConnectionCore connection, ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        bool wasClosing = connection.IsClosing;
        try
        {
            connection.HandleDatagram(datagram, now);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            OnInternalError(connection, exception, now);
        }

        LogIfNewlyClosed(connection, wasClosing);
        MarkIfEventReady(connection);
    }

    private void OnInternalError(QuicConnectionCore connection, Exception exception, TimeSpan now)
    {
        InternalErrors++;
        LastInternalError = exception;
        QuicEndpointLog.InternalError(_logger, connection.RemoteAddress, exception);
        connection.AbortWithInternalError(exception, now);
    }

    /// <summary>One log line per connection, when it starts closing: a warning when the peer broke the protocol.</summary>
    private void LogIfNewlyClosed(QuicConnectionCore connection, bool wasClosing)
    {
        if (wasClosing || !connection.IsClosing || connection.CloseInfo is not { } info || connection.Statistics.PacketsReceived == 0)
        {
            return;
        }

        if (info.Origin == QuicCloseOrigin.LocalTransportError)
        {
            QuicEndpointLog.PeerViolation(_logger, connection.RemoteAddress, info.ErrorCode, info.FrameType, info.Reason);
        }
        else
        {
            QuicEndpointLog.Closed(_logger, connection.RemoteAddress, info.Origin, info.ErrorCode, info.Reason);
        }
    }

    private void SendVersionNegotiation(IPEndPoint remote, QuicPacketHeader header, int datagramLength)
    {
        // RFC 9000 §6.1: only in answer to a datagram large enough to be a client's first flight.
        if (datagramLength < QuicConnectionCore.MinInitialDatagramSize || _stateless.Count >= _options.StatelessQueueCapacity)
        {
            DatagramsDropped++;
            return;
        }

        byte[] packet = new byte[QuicVersionNegotiation.GetLength(header.SourceConnectionId.Length, header.DestinationConnectionId.Length, 1)];
        var writer = new SpanWriter(packet);
        QuicVersionNegotiation.Write(ref writer, header.SourceConnectionId, header.DestinationConnectionId, [QuicVersion.V1]);
        _stateless.Enqueue((remote, packet));
        VersionNegotiationsSent++;
    }

    private void RemoveIfClosed(QuicConnectionCore connection)
    {
        if (!connection.IsClosed)
        {
            return;
        }

        MarkIfEventReady(connection); // its owner learns it is gone

        _connections.Remove(connection);
        connection.Scheduler = null;
        _routes.Remove(ConnectionIdKey.From(connection.LocalConnectionId));
        if (connection.IsServer)
        {
            ConnectionIdKey original = ConnectionIdKey.From(connection.OriginalDestinationConnectionId);
            if (_routes.TryGetValue(original, out QuicConnectionCore? routed) && routed == connection)
            {
                _routes.Remove(original);
            }
        }

        connection.Dispose();
    }
}
