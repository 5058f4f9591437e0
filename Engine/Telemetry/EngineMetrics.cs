using System.Diagnostics.Metrics;

namespace Engine.Telemetry;

/// <summary>Engine's meters, exported at <c>/metrics</c>. One instance per host.</summary>
public sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter name to listen to.</summary>
    public const string MeterName = "Engine";

    private readonly Meter _meter;

    /// <param name="meterFactory">The host's factory: it scopes the meter to this host, so the
    /// host's /metrics never mixes in another host's counts in the same process.</param>
    public EngineMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        Connections = _meter.CreateUpDownCounter<long>("engine.connections", description: "Open client connections, by transport.");
        Rooms = _meter.CreateUpDownCounter<long>("engine.rooms", description: "Rooms alive.");
        Players = _meter.CreateUpDownCounter<long>("engine.players", description: "Players seated in rooms (online or held).");
        TickDuration = _meter.CreateHistogram<double>("engine.tick.duration", unit: "ms", description: "Time to run one room tick, including snapshot fan-out.");
        TickOverruns = _meter.CreateCounter<long>("engine.tick.overruns", description: "Ticks skipped because a room fell more than 5 periods behind.");
        MessagesIn = _meter.CreateCounter<long>("engine.messages.received", description: "Messages received from clients.");
        MessagesOut = _meter.CreateCounter<long>("engine.messages.sent", description: "Messages queued to clients, by channel.");
        BytesIn = _meter.CreateCounter<long>("engine.bytes.received", unit: "By", description: "Bytes received from clients.");
        BytesOut = _meter.CreateCounter<long>("engine.bytes.sent", unit: "By", description: "Bytes queued to clients.");
        Drops = _meter.CreateCounter<long>("engine.drops", description: "Messages dropped, by reason.");
        Disconnects = _meter.CreateCounter<long>("engine.disconnects", description: "Closed connections, by reason.");
        Rejections = _meter.CreateCounter<long>("engine.rejections", description: "Connection attempts refused before upgrade, by reason and transport.");
        DatagramsSent = _meter.CreateCounter<long>("engine.datagrams.sent", description: "Datagrams sent to clients (each fragment counts), by transport.");
        DatagramsReceived = _meter.CreateCounter<long>("engine.datagrams.received", description: "Datagrams received from clients, by transport.");
        DatagramsDropped = _meter.CreateCounter<long>("engine.datagrams.dropped", description: "Datagrams dropped, by transport and reason.");
        EntitySnapshots = _meter.CreateCounter<long>("engine.snapshots.entity", description: "Entity snapshots sent, by kind (full: no acknowledged baseline; delta).");
        DeferredEntities = _meter.CreateCounter<long>("engine.snapshots.deferred", description: "Entity changes left for a later tick because a snapshot's byte budget was full.");
        Fragments = _meter.CreateCounter<long>("engine.datagrams.fragments", description: "Datagrams sent that carried a fragment of a larger message, by transport.");
    }

    public UpDownCounter<long> Connections { get; }

    public UpDownCounter<long> Rooms { get; }

    public UpDownCounter<long> Players { get; }

    public Histogram<double> TickDuration { get; }

    public Counter<long> TickOverruns { get; }

    public Counter<long> MessagesIn { get; }

    public Counter<long> MessagesOut { get; }

    public Counter<long> BytesIn { get; }

    public Counter<long> BytesOut { get; }

    public Counter<long> Drops { get; }

    public Counter<long> Disconnects { get; }

    public Counter<long> Rejections { get; }

    public Counter<long> DatagramsSent { get; }

    public Counter<long> DatagramsReceived { get; }

    public Counter<long> DatagramsDropped { get; }

    public Counter<long> Fragments { get; }

    public Counter<long> EntitySnapshots { get; }

    public Counter<long> DeferredEntities { get; }

    public void Dispose() => _meter.Dispose();
}
