using CsCheck;
using Engine.State.Clock;

namespace Engine.Tests.State;

public class HybridLogicalClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Now_PhysicalTimeAdvances_TakesPhysicalTimeWithLogicalZero()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(7, time);

        HlcTimestamp first = clock.Now();
        time.Advance(TimeSpan.FromMilliseconds(5));
        HlcTimestamp second = clock.Now();

        Assert.Equal(Start.ToUnixTimeMilliseconds(), first.PhysicalMilliseconds);
        Assert.Equal(0, first.Logical);
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 5, second.PhysicalMilliseconds);
        Assert.Equal(0, second.Logical);
        Assert.Equal(7u, second.NodeId);
    }

    [Fact]
    public void Now_SameMillisecond_IncrementsLogical()
    {
        var clock = new HybridLogicalClock(1, new ManualTimeProvider(Start));

        HlcTimestamp a = clock.Now();
        HlcTimestamp b = clock.Now();

        Assert.Equal(a.PhysicalMilliseconds, b.PhysicalMilliseconds);
        Assert.Equal(a.Logical + 1, b.Logical);
        Assert.True(b > a);
    }

    [Fact]
    public void Now_ClockJumpsBackwards_StaysMonotonic()
    {
        var time = new ManualTimeProvider(Start);
        var clock = new HybridLogicalClock(1, time);
        HlcTimestamp before = clock.Now();

        time.Advance(TimeSpan.FromMinutes(-10));
        HlcTimestamp after1 = clock.Now();
        HlcTimestamp after2 = clock.Now();

        Assert.True(after1 > before);
        Assert.True(after2 > after1);
        Assert.Equal(before.PhysicalMilliseconds, after2.PhysicalMilliseconds);
        Assert.Equal(2, after2.Logical);
    }

    [Fact]
    public void Now_RandomClockJumps_NeverRepeatsOrGoesBackwards()
    {
        Gen.Int[-5_000, 5_000].Array[1, 200].Sample(jumps =>
        {
            var time = new ManualTimeProvider(Start);
            var clock = new HybridLogicalClock(3, time);
            HlcTimestamp previous = clock.Now();
            foreach (int jump in jumps)
            {
                time.Advance(TimeSpan.FromMilliseconds(jump));
                HlcTimestamp next = clock.Now();
                if (next <= previous)
                {
                    return false;
                }

                previous = next;
            }

            return true;
        }, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Now_LogicalCounterOverflows_CarriesIntoPhysicalAndStaysMonotonic()
    {
        var clock = new HybridLogicalClock(1, new ManualTimeProvider(Start));
        HlcTimestamp previous = clock.Now();

        for (int i = 0; i < HlcTimestamp.MaxLogical + 10; i++)
        {
            HlcTimestamp next = clock.Now();
            Assert.True(next > previous);
            previous = next;
        }

        // 65,535 calls fill the counter, the next carries to logical 0 of the next millisecond, nine more follow.
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 1, previous.PhysicalMilliseconds);
        Assert.Equal(9, previous.Logical);
    }

    [Fact]
    public void Receive_RemoteAtMaxLogical_CarriesIntoPhysical()
    {
        var clock = new HybridLogicalClock(1, new ManualTimeProvider(Start));
        var remote = new HlcTimestamp(Start.ToUnixTimeMilliseconds(), HlcTimestamp.MaxLogical, 2);

        HlcTimestamp received = clock.Receive(remote);

        Assert.True(received > remote);
        Assert.Equal(Start.ToUnixTimeMilliseconds() + 1, received.PhysicalMilliseconds);
        Assert.Equal(0, received.Logical);
    }

    [Fact]
    public void Receive_AnyHistory_ExceedsRemoteAndEveryEarlierLocalTimestamp()
    {
        // Steps: (advance ms, remote offset ms from local physical time, remote logical, is receive).
        var step = Gen.Select(Gen.Int[-50, 50], Gen.Int[-2_000, 2_000], Gen.UShort, Gen.Bool);
        step.Array[1, 100].Sample(steps =>
        {
            var time = new ManualTimeProvider(Start);
            var clock = new HybridLogicalClock(1, time, TimeSpan.FromSeconds(5));
            HlcTimestamp highestLocal = HlcTimestamp.Zero;
            foreach ((int advance, int offset, ushort logical, bool receive) in steps)
            {
                time.Advance(TimeSpan.FromMilliseconds(advance));
                if (receive)
                {
                    var remote = new HlcTimestamp(time.GetUtcNow().ToUnixTimeMilliseconds() + offset, logical, 2);
                    HlcTimestamp received = clock.Receive(remote);
                    if (received <= remote || received <= highestLocal)
                    {
                        return false;
                    }

                    highestLocal = received;
                }
                else
                {
                    HlcTimestamp now = clock.Now();
                    if (now <= highestLocal)
                    {
                        return false;
                    }

                    highestLocal = now;
                }
            }

            return true;
        }, seed: "4Vn4sTRqSNO0");
    }

    [Fact]
    public void Receive_RemoteBeyondMaxDrift_ThrowsAndLeavesClockUnchanged()
    {
        var clock = new HybridLogicalClock(1, new ManualTimeProvider(Start), TimeSpan.FromSeconds(1));
        HlcTimestamp before = clock.Now();
        var remote = new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 1_001, 0, 9);

        HlcDriftException ex = Assert.Throws<HlcDriftException>(() => clock.Receive(remote));

        Assert.Equal(remote, ex.Remote);
        Assert.Contains("1001 ms ahead", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, clock.Current);
        Assert.Equal(before.Packed + 1, clock.Now().Packed);
    }

    [Fact]
    public void Receive_RemoteExactlyAtMaxDrift_IsAccepted()
    {
        var clock = new HybridLogicalClock(1, new ManualTimeProvider(Start), TimeSpan.FromSeconds(1));
        var remote = new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 1_000, 4, 9);

        HlcTimestamp received = clock.Receive(remote);

        Assert.Equal(remote.PhysicalMilliseconds, received.PhysicalMilliseconds);
        Assert.Equal(5, received.Logical);
    }

    [Fact]
    public void Constructor_NegativeDrift_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HybridLogicalClock(1, maxForwardDrift: TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Now_ManyThreads_IssuesUniqueIncreasingTimestamps()
    {
        var clock = new HybridLogicalClock(1, new ManualTimeProvider(Start));
        const int Threads = 4, PerThread = 20_000;
        var issued = new HlcTimestamp[Threads][];

        Parallel.For(0, Threads, t =>
        {
            var mine = new HlcTimestamp[PerThread];
            for (int i = 0; i < PerThread; i++)
            {
                mine[i] = clock.Now();
            }

            issued[t] = mine;
        });

        foreach (HlcTimestamp[] perThread in issued)
        {
            for (int i = 1; i < perThread.Length; i++)
            {
                Assert.True(perThread[i] > perThread[i - 1]);
            }
        }

        Assert.Equal(Threads * PerThread, issued.SelectMany(x => x).Distinct().Count());
    }

    [Fact]
    public void CompareTo_EqualTime_NodeIdBreaksTie()
    {
        var low = new HlcTimestamp(1_000, 3, 1);
        var high = new HlcTimestamp(1_000, 3, 2);

        Assert.True(high > low);
        Assert.Equal(high, HlcTimestamp.Max(low, high));
        Assert.True(new HlcTimestamp(1_000, 4, 0) > high);
        Assert.True(new HlcTimestamp(1_001, 0, 0) > high);
    }

    [Fact]
    public void WriteTo_RoundTripsAndSortsBytewiseLikeCompareTo()
    {
        var gen = Gen.Select(Gen.Long[0, HlcTimestamp.MaxPhysicalMilliseconds], Gen.UShort, Gen.UInt);
        Gen.Select(gen, gen).Sample((a, b) =>
        {
            var x = new HlcTimestamp(a.Item1, a.Item2, a.Item3);
            var y = new HlcTimestamp(b.Item1, b.Item2, b.Item3);
            Span<byte> bx = stackalloc byte[HlcTimestamp.EncodedSize];
            Span<byte> by = stackalloc byte[HlcTimestamp.EncodedSize];
            x.WriteTo(bx);
            y.WriteTo(by);
            return HlcTimestamp.ReadFrom(bx) == x && Math.Sign(bx.SequenceCompareTo(by)) == Math.Sign(x.CompareTo(y));
        }, seed: "2Kx0Qk5vVbD0");
    }

    [Fact]
    public void Constructor_PhysicalBeyond48Bits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HlcTimestamp(HlcTimestamp.MaxPhysicalMilliseconds + 1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HlcTimestamp(-1, 0, 0));
    }

    [Fact]
    public void ReadFrom_ShortInput_ThrowsClearly()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => HlcTimestamp.ReadFrom(new byte[11]));
        Assert.Contains("12 bytes", ex.Message, StringComparison.Ordinal);
    }
}
