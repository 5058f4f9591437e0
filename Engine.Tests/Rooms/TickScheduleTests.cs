using Engine.Rooms;

namespace Engine.Tests.Rooms;

public class TickScheduleTests
{
    private const long Frequency = 1_000_000; // 1 µs timestamps

    [Fact]
    public void Advance_EveryWakeLate_DeadlinesDoNotDrift()
    {
        var schedule = new TickSchedule(start: 0, Frequency, tickRate: 50);
        int ticks = 0;
        while (schedule.NextDeadline <= Frequency) // one second of ticks
        {
            long lateWake = schedule.NextDeadline + 3_000; // every wake-up 3 ms late
            Assert.Equal(0, schedule.Advance(lateWake));
            ticks++;
        }

        // Exactly the rate: the lateness never accumulates (sleep(period) would give ~43 ticks).
        Assert.Equal(50, ticks);
        Assert.Equal(51 * 20_000, schedule.NextDeadline);
    }

    [Fact]
    public void Advance_NonIntegerPeriod_StaysOnTheExactGrid()
    {
        var schedule = new TickSchedule(start: 1_000, Frequency, tickRate: 30);
        for (int n = 1; n <= 300; n++)
        {
            Assert.Equal(1_000 + (long)(n * (Frequency / 30.0)), schedule.NextDeadline);
            schedule.Advance(schedule.NextDeadline);
        }
    }

    [Fact]
    public void Advance_FarBehind_SkipsAheadFromNowAndReportsSkippedTicks()
    {
        var schedule = new TickSchedule(start: 0, Frequency, tickRate: 100); // 10 ms period
        long stalledUntil = 10_000 + 1_000_000; // a one-second stall before the first tick

        long skipped = schedule.Advance(stalledUntil);

        Assert.Equal(100, skipped);
        Assert.Equal(stalledUntil + 10_000, schedule.NextDeadline);
    }

    [Fact]
    public void Advance_SlightlyBehind_CatchesUpWithoutSkipping()
    {
        var schedule = new TickSchedule(start: 0, Frequency, tickRate: 100);

        Assert.Equal(0, schedule.Advance(10_000 + 40_000)); // 4 periods late: within the bound
        Assert.Equal(20_000, schedule.NextDeadline); // the next tick is already due: catch up
    }
}
