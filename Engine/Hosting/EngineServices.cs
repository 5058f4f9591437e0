using Engine.Cluster;
using Engine.Documents;
using Engine.Rooms;
using Engine.Sessions.Relay;
using Engine.Security;
using Engine.Sessions;
using Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>The services every connection needs, gathered once.</summary>
internal sealed class EngineServices(
    IOptions<EngineOptions> options,
    EngineMetrics metrics,
    RoomManager rooms,
    SessionRegistry sessions,
    TimeProvider time,
    ILoggerFactory loggers,
    IClusterBus bus,
    IRoomLeases leases,
    ISeatRecords seats,
    EdgeDocuments edgeDocuments,
    IClusterPresence presence,
    IServiceProvider provider)
{
    private int _connections;

    public EngineOptions Options { get; } = options.Value;

    public EngineMetrics Metrics { get; } = metrics;

    public RoomManager Rooms { get; } = rooms;

    public SessionRegistry Sessions { get; } = sessions;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = loggers.CreateLogger("Engine.Connections");

    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>The cluster bus (in-process when not clustered).</summary>
    public IClusterBus Bus { get; } = bus;

    /// <summary>Document replicas of the rooms this instance relays players into.</summary>
    public EdgeDocuments EdgeDocuments { get; } = edgeDocuments;

    /// <summary>Every room's members across the cluster (the local rooms on a single instance).</summary>
    public IClusterPresence Presence { get; } = presence;

    /// <summary>Which instance owns each room.</summary>
    public IRoomLeases Leases { get; } = leases;

    /// <summary>Where players' seats are, for a resume on any instance (nothing recorded when not clustered).</summary>
    public ISeatRecords Seats { get; } = seats;

    /// <summary>The relay between this instance and the others (resolved on first use: it needs these services too).</summary>
    public RelayServer Relay => _relay ??= (RelayServer)provider.GetService(typeof(RelayServer))!;

    private RelayServer? _relay;

    /// <summary>Join-token checking, when a secret is configured.</summary>
    public JoinTokens? Tokens { get; } = options.Value.TokenSecret is { } secret ? new JoinTokens(secret, time) : null;

    /// <summary>Open connections (all transports).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Claims a connection slot; false at <see cref="EngineOptions.MaxConnections"/>.</summary>
    public bool TryAcquireConnection()
    {
        if (Interlocked.Increment(ref _connections) <= Options.MaxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _connections);
        return false;
    }

    public void ReleaseConnection() => Interlocked.Decrement(ref _connections);
}
