using HdrHistogram;

namespace Engine.Bench.Load;

/// <summary>What one measurement window of <c>load-ws</c> saw against one server.</summary>
internal sealed record LoadResult
{
    public required string Target { get; init; }

    public required string Software { get; init; }

    /// <summary>ws:// or wss://, with the negotiated TLS protocol and cipher suite.</summary>
    public required string Transport { get; init; }

    public required double Seconds { get; init; }

    public required long Snapshots { get; init; }

    public required long Events { get; init; }

    public required long Bytes { get; init; }

    /// <summary>Tick-to-receive latency of every snapshot and event, in Stopwatch ticks.</summary>
    public required LongHistogram Latency { get; init; }

    public required double ServerCpuSeconds { get; init; }

    public required double ClientCpuSeconds { get; init; }

    /// <summary>CPU everything else on the machine used during the window (the noise).</summary>
    public required double OtherCpuSeconds { get; init; }

    /// <summary>Size of a snapshot / game event message as received (type byte included); 0 if none arrived.</summary>
    public required int SnapshotMessageBytes { get; init; }

    public required int EventMessageBytes { get; init; }

    /// <summary>The first decode failure of Engine's codec on a received snapshot or event, or null.</summary>
    public required string? WireError { get; init; }

    public long Messages => Snapshots + Events;

    public double MessagesPerSecond => Messages / Seconds;

    public double LatencyMs(double percentile) => Latency.GetValueAtPercentile(percentile) / OutputScalingFactor.TimeStampToMilliseconds;

    public double MaxLatencyMs => Latency.GetMaxValue() / OutputScalingFactor.TimeStampToMilliseconds;

    /// <summary>Server CPU milliseconds spent per 100,000 delivered messages.</summary>
    public double ServerCpuMsPer100k => Messages == 0 ? double.NaN : ServerCpuSeconds * 1000 / Messages * 100_000;
}
