using BenchmarkDotNet.Attributes;
using Engine.State.Clock;

namespace Engine.Bench.Micro;

/// <summary>The cost of an HLC timestamp against a bare read of the system clock it wraps.</summary>
public class HlcBenchmarks
{
    private readonly HybridLogicalClock _clock = new(1);
    private readonly HlcTimestamp _remote = new(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 3, 2);

    [Benchmark(Baseline = true)]
    public DateTimeOffset SystemClockRead() => TimeProvider.System.GetUtcNow();

    [Benchmark]
    public HlcTimestamp Now() => _clock.Now();

    [Benchmark]
    public HlcTimestamp Receive() => _clock.Receive(_remote);
}
