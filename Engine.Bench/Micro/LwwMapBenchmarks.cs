using BenchmarkDotNet.Attributes;
using Engine.State.Clock;
using Engine.State.Crdt;

namespace Engine.Bench.Micro;

/// <summary>
/// LwwMap writes and merges at 1,000 entries, each beside a plain Dictionary doing the same
/// work without timestamps, so the ratio is the cost of the CRDT.
/// </summary>
public class LwwMapBenchmarks
{
    private const int Entries = 1_000;
    private readonly HybridLogicalClock _clock = new(1);
    private readonly Dictionary<int, EntityState> _plain = [];
    private LwwMap<int, EntityState> _map = new();
    private LwwMap<int, EntityState> _remote = new();
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var remoteClock = new HybridLogicalClock(2);
        _map = new LwwMap<int, EntityState>();
        _remote = new LwwMap<int, EntityState>();
        for (int i = 0; i < Entries; i++)
        {
            _map.Set(i, new EntityState(i, i, 0, 0, 0, 100, 0), _clock);
            _plain[i] = new EntityState(i, i, 0, 0, 0, 100, 0);
        }

        // The remote replica wrote every entry later, so a merge replaces all 1,000.
        remoteClock.Receive(_clock.Current);
        for (int i = 0; i < Entries; i++)
        {
            _remote.Set(i, new EntityState(i, -i, 1, 1, 0, 90, 1), remoteClock.Now());
        }

        _map.TryTakeDelta(out _);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Entries)]
    public void DictionarySet1000()
    {
        for (int i = 0; i < Entries; i++)
        {
            _plain[(_next + i) % Entries] = new EntityState(i, i, 1, 0, 0, 100, 0);
        }

        _next++;
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public void LwwMapSet1000()
    {
        for (int i = 0; i < Entries; i++)
        {
            _map.Set((_next + i) % Entries, new EntityState(i, i, 1, 0, 0, 100, 0), _clock);
        }

        _next++;
    }

    // Per-entry figures: a clone of the 1,000-entry map, the same clone then a merge in which every
    // remote entry wins (subtract the clone for the merge's cost), and a merge where all lose.
    [Benchmark(OperationsPerInvoke = Entries)]
    public int LwwMapClone1000() => _map.Clone().Count;

    [Benchmark(OperationsPerInvoke = Entries)]
    public int LwwMapCloneThenMergeAllNewer1000()
    {
        LwwMap<int, EntityState> target = _map.Clone();
        target.Merge(_remote);
        return target.Count;
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public int LwwMapMergeAllStale1000()
    {
        _remote.Merge(_map);
        return _remote.Count;
    }
}
