using Engine.State.Clock;
using Engine.State.Crdt;

namespace Engine.Tests.State;

public class CrdtSemanticsTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void OrSetMerge_ConcurrentAddAndRemove_AddWins()
    {
        var a = new OrSet<string>();
        var b = new OrSet<string>();
        a.Add("alice", 1);
        b.Merge(a);

        b.Remove("alice"); // b removes the add it observed...
        a.Add("alice", 1); // ...while a re-adds concurrently.
        a.Merge(b);
        b.Merge(a);

        Assert.True(a.Contains("alice"));
        Assert.Equal(a, b);
    }

    [Fact]
    public void OrSetMerge_RemoveAfterObservingEveryAdd_Removes()
    {
        var a = new OrSet<string>();
        var b = new OrSet<string>();
        a.Add("alice", 1);
        b.Add("alice", 2);
        a.Merge(b);

        a.Remove("alice");
        b.Merge(a);

        Assert.False(a.Contains("alice"));
        Assert.False(b.Contains("alice"));
    }

    [Fact]
    public void OrSetMerge_DeltaOfRemoveBeforeDeltaOfAdd_StillRemoves()
    {
        var a = new OrSet<string>();
        a.Add("bob", 1);
        Assert.True(a.TryTakeDelta(out OrSet<string>? addDelta));
        a.Remove("bob");
        Assert.True(a.TryTakeDelta(out OrSet<string>? removeDelta));

        var b = new OrSet<string>();
        b.Merge(removeDelta);
        b.Merge(addDelta);

        Assert.False(b.Contains("bob"));
        Assert.Equal(a, b);
    }

    [Fact]
    public void LwwMapSet_ConcurrentWritesSameMillisecond_HigherNodeIdWinsEverywhere()
    {
        var a = new LwwMap<string, int>();
        var b = new LwwMap<string, int>();
        a.Set("hp", 10, new HybridLogicalClock(1, _time));
        b.Set("hp", 20, new HybridLogicalClock(2, _time));

        a.Merge(b);
        b.Merge(a);

        Assert.True(a.TryGetValue("hp", out int hp));
        Assert.Equal(20, hp);
        Assert.Equal(a, b);
    }

    [Fact]
    public void LwwMapRemove_OlderWriteArrivesLate_DoesNotResurrect()
    {
        var clock = new HybridLogicalClock(1, _time);
        var map = new LwwMap<string, int>();
        HlcTimestamp older = clock.Now();
        map.Remove("x", clock);

        Assert.False(map.Set("x", 5, older));
        Assert.False(map.ContainsKey("x"));
        Assert.Equal(0, map.Count);
        Assert.Equal(1, map.TombstoneCount);
    }

    [Fact]
    public void LwwMapPruneTombstones_OlderThanHorizon_DropsOnlyThose()
    {
        var clock = new HybridLogicalClock(1, _time);
        var map = new LwwMap<int, int>();
        map.Set(1, 1, clock);
        map.Remove(2, clock);
        HlcTimestamp horizon = clock.Now();
        map.Remove(3, clock);

        Assert.Equal(1, map.PruneTombstones(horizon));
        Assert.Equal(1, map.TombstoneCount);
        Assert.Equal(1, map.Count);
        Assert.Equal([new KeyValuePair<int, int>(1, 1)], map.Items);
    }

    [Fact]
    public void LwwMapPruneTombstones_ByPredicate_DropsOnlyTheTombstonesItPicks()
    {
        var clock = new HybridLogicalClock(1, _time);
        var map = new LwwMap<int, int>();
        map.Set(1, 1, clock);
        map.Remove(2, clock);
        map.Remove(3, clock);
        var asked = new List<int>();

        Assert.Equal(1, map.PruneTombstones((key, _) => { asked.Add(key); return key == 3; }));

        Assert.Equal([2, 3], asked.Order());
        Assert.Equal(1, map.TombstoneCount);
        Assert.True(map.AllEntries[2].IsRemoved);
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void LwwMapSet_ZeroTimestamp_Throws()
    {
        Assert.Throws<ArgumentException>(() => new LwwMap<int, int>().Set(1, 1, HlcTimestamp.Zero));
    }

    [Fact]
    public void LwwRegisterSet_OlderTimestamp_Loses()
    {
        var clock = new HybridLogicalClock(1, _time);
        var register = new LwwRegister<string>();
        HlcTimestamp older = clock.Now();
        Assert.True(register.Set("new", clock));

        Assert.False(register.Set("old", older));
        Assert.Equal("new", register.Value);
    }

    [Fact]
    public void PNCounterValue_IncrementsAndDecrementsAcrossNodes_IsTheirDifference()
    {
        var a = new PNCounter();
        var b = new PNCounter();
        a.Increment(1, 10);
        b.Decrement(2, 3);
        b.Increment(2, 1);

        a.Merge(b);

        Assert.Equal(8, a.Value);
    }

    [Fact]
    public void GCounterIncrement_PastMaxValue_ThrowsOverflow()
    {
        var counter = new GCounter();
        counter.Increment(1, ulong.MaxValue);

        Assert.Throws<OverflowException>(() => counter.Increment(1));
        Assert.Equal(ulong.MaxValue, counter.Value);
    }

    [Fact]
    public void TryTakeDelta_NoChangesSinceLastTake_ReturnsFalse()
    {
        var counter = new GCounter();
        counter.Increment(1);
        Assert.True(counter.TryTakeDelta(out _));

        Assert.False(counter.TryTakeDelta(out GCounter? none));
        Assert.Null(none);
        Assert.False(counter.HasPendingDelta);
    }

    [Fact]
    public void Merge_RemoteChanges_DoNotEnterPendingDelta()
    {
        var a = new LwwMap<int, int>();
        var b = new LwwMap<int, int>();
        b.Set(1, 1, new HybridLogicalClock(2, _time));

        a.Merge(b);

        Assert.False(a.HasPendingDelta);
    }
}
