namespace Engine.Rooms;

/// <summary>
/// When each tick is due: tick n at start + n × period, in timestamp ticks. Deadlines accumulate
/// from the start, so a late wake-up delays one tick but never shifts the ones after it (a
/// sleep(period) loop would add every wake-up's lateness to the schedule). Falling more than
/// <see cref="MaxTicksBehind"/> periods behind restarts the schedule from now instead of running a
/// burst of catch-up ticks. Pure arithmetic, so it is tested without a clock.
/// </summary>
internal struct TickSchedule
{
    /// <summary>Periods behind after which the schedule skips ahead.</summary>
    public const int MaxTicksBehind = 5;

    private readonly double _period;
    private long _start;
    private long _n;

    public TickSchedule(long start, long timestampFrequency, int tickRate)
    {
        _period = (double)timestampFrequency / tickRate;
        _start = start;
        _n = 0;
    }

    /// <summary>The timestamp the next tick is due at.</summary>
    public readonly long NextDeadline => _start + (long)((_n + 1) * _period);

    /// <summary>
    /// Called when the loop wakes at <paramref name="now"/> (at or after <see cref="NextDeadline"/>):
    /// consumes that tick and returns how many ticks were skipped (0 when on schedule).
    /// </summary>
    public long Advance(long now)
    {
        long deadline = NextDeadline;
        _n++;
        if (now - deadline <= MaxTicksBehind * _period)
        {
            return 0;
        }

        long behind = (long)((now - deadline) / _period);
        _start = now;
        _n = 0;
        return behind;
    }
}
