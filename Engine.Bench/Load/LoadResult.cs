using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>What one measurement window of <c>load-ws</c> / <c>load-wt</c> saw against one server.</summary>
internal sealed record LoadResult
{
    public required string Target { get; init; }

    public required string Software { get; init; }

    /// <summary>WebSocket or WebTransport.</summary>
    public required string Carrier { get; init; }

    /// <summary>ws:// or wss:// with the negotiated TLS protocol and cipher suite, or the WebTransport URL and what carries it.</summary>
    public required string Transport { get; init; }

    public required double Seconds { get; init; }

    public required long Snapshots { get; init; }

    public required long Events { get; init; }

    public required long Bytes { get; init; }

    /// <summary>Events missing by sequence number in the window (reliable: should be 0), and ones that came out of order.</summary>
    public long EventsMissed { get; init; }

    public long EventsReordered { get; init; }

    /// <summary>Events missing by sequence number from each client's first event to the end of the window (the warm-up and connect phase included).</summary>
    public long EventsMissedSinceJoin { get; init; }

    /// <summary>Snapshots ignored as not newer than one already received (reordered).</summary>
    public required long StaleSnapshots { get; init; }

    /// <summary>Sum over clients of the ticks from their first to their last snapshot in the window.</summary>
    public required long TicksSpanned { get; init; }

    /// <summary>Tick-to-receive latency of every snapshot and event, in Stopwatch ticks.</summary>
    public required LongHistogram Latency { get; init; }

    public required LongHistogram SnapshotLatency { get; init; }

    public required LongHistogram EventLatency { get; init; }

    /// <summary>The clients' datagram figures (WebTransport only).</summary>
    public DatagramCounts? Datagrams { get; init; }

    /// <summary>Engine's /metrics counters that changed in the window (ticks skipped, drops by reason…); null for a baseline.</summary>
    public string? ServerCounters { get; init; }

    public required double ServerCpuSeconds { get; init; }

    public required double ClientCpuSeconds { get; init; }

    /// <summary>CPU everything else on the machine used during the window (the noise).</summary>
    public required double OtherCpuSeconds { get; init; }

    /// <summary>Size of a snapshot / game event message as received (type byte included); 0 if none arrived.</summary>
    public required int SnapshotMessageBytes { get; init; }

    public required int EventMessageBytes { get; init; }

    /// <summary>The first decode failure of Engine's codec on a received snapshot or event, or null.</summary>
    public required string? WireError { get; init; }

    /// <summary>Entity snapshots against the empty state / against an acknowledged baseline, with their message bytes (entity mode).</summary>
    public long FullSnapshots { get; init; }

    public long FullBytes { get; init; }

    public long DeltaSnapshots { get; init; }

    public long DeltaBytes { get; init; }

    /// <summary>Entity snapshots the clients' decoders refused; applied ones without their tick's stamp; acks sent.</summary>
    public long Refused { get; init; }

    public long StampMissing { get; init; }

    public long Acks { get; init; }

    /// <summary>The window right after the last client joined (<c>--first-seconds</c>), when this is the later one.</summary>
    public LoadResult? FirstWindow { get; init; }

    /// <summary>CPU seconds of each measured process (the server first, then its companions), when there are several.</summary>
    public IReadOnlyList<(string Label, double Seconds)> ProcessCpu { get; init; } = [];

    /// <summary>The server's counters at the start and the end of the window (what <see cref="ServerCounters"/> summarises).</summary>
    public IReadOnlyDictionary<string, double>? CountersBefore { get; init; }

    public IReadOnlyDictionary<string, double>? CountersAfter { get; init; }

    /// <summary>How much <paramref name="key"/> grew in the window; NaN when it was not read.</summary>
    public double CounterDelta(string key) =>
        CountersBefore is not null && CountersAfter is not null && CountersAfter.TryGetValue(key, out double after)
            ? after - CountersBefore.GetValueOrDefault(key)
            : double.NaN;

    /// <summary>CPU seconds of the process labelled <paramref name="label"/>; NaN when it was not measured.</summary>
    public double ProcessCpuSeconds(string label) => ProcessCpu.Where(p => p.Label == label).Select(p => p.Seconds).DefaultIfEmpty(double.NaN).First();

    /// <summary>The server process's resident memory (bytes) at the end of the window.</summary>
    public long ServerMemoryBytes { get; init; }

    /// <summary>Seconds from starting the server process to the last client joined.</summary>
    public double ConnectSeconds { get; init; }

    /// <summary>Entity mode: the mean size of each client's first full snapshot (the one after joining, before any window).</summary>
    public double JoinFullBytes { get; init; }

    public long EntitySnapshots => FullSnapshots + DeltaSnapshots;

    public double FullFraction => EntitySnapshots == 0 ? double.NaN : (double)FullSnapshots / EntitySnapshots;

    public double MeanFullBytes => FullSnapshots == 0 ? double.NaN : (double)FullBytes / FullSnapshots;

    public double MeanDeltaBytes => DeltaSnapshots == 0 ? double.NaN : (double)DeltaBytes / DeltaSnapshots;

    /// <summary>Mean bytes of a snapshot message as received (entity snapshots: full and delta together).</summary>
    public double MeanSnapshotBytes => EntitySnapshots > 0 ? (double)(FullBytes + DeltaBytes) / EntitySnapshots : SnapshotMessageBytes;

    /// <summary>Server CPU microseconds per delivered message (or floor datagram).</summary>
    public double ServerCpuUsPerMessage => Messages == 0 ? double.NaN : ServerCpuSeconds * 1e6 / Messages;

    public long Messages => Snapshots + Events;

    public double MessagesPerSecond => Messages / Seconds;

    /// <summary>Snapshots that a tick number says were sent in the window but did not arrive (or arrived out of order), as a fraction of those sent.</summary>
    public double SnapshotLoss => TicksSpanned == 0 ? double.NaN : (double)(TicksSpanned - Snapshots) / TicksSpanned;

    public double LatencyMs(double percentile) => LatencyMs(Latency, percentile);

    public double MaxLatencyMs => Latency.GetMaxValue() / OutputScalingFactor.TimeStampToMilliseconds;

    public static double LatencyMs(LongHistogram histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / OutputScalingFactor.TimeStampToMilliseconds;

    /// <summary>Server CPU milliseconds spent per 100,000 delivered messages.</summary>
    public double ServerCpuMsPer100k => Messages == 0 ? double.NaN : ServerCpuSeconds * 1000 / Messages * 100_000;
}
